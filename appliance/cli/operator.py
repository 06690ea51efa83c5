"""`appliance operator passwd --data DIR [--username NAME] [--password-stdin]`: set an operator's
password for the console. There is no default password; without one the console stays locked.
`appliance operator tls --data DIR`: make the console's self-signed TLS certificate (kept when it
exists) and print its SHA-256 fingerprint, for the installer and for an operator checking it."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from appliance.web.passwords import OperatorAccounts, PasswordError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("operator", help="operator console accounts")
    commands = parser.add_subparsers(dest="operator_command", required=True)
    passwd = commands.add_parser("passwd", help="set (or change) an operator's password")
    passwd.add_argument("--data", type=Path, default=Path("data"), help="data folder of the booth")
    passwd.add_argument("--username", default="operator")
    passwd.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input (for installers)")
    passwd.set_defaults(func=set_password)
    tls = commands.add_parser("tls", help="make (or show) the console's TLS certificate and its fingerprint")
    tls.add_argument("--data", type=Path, default=Path("data"), help="data folder of the booth")
    tls.set_defaults(func=show_certificate)


def set_password(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise PasswordError("operator: 没有终端可输入密码，请用 --password-stdin 从标准输入传入 / "
                                "no terminal to type the password on: pipe it in with --password-stdin")
        try:
            password = getpass.getpass("新密码 / new password: ")
            repeat = getpass.getpass("再次输入 / repeat: ")
        except EOFError:
            raise PasswordError("operator: 输入已结束，未设置密码 / input ended: no password set") from None
        if repeat != password:
            raise PasswordError("operator: 两次输入的密码不同 / the two passwords differ")
    OperatorAccounts.in_data_dir(args.data).set_password(args.username, password)
    print(f"operator {args.username}: password set in {args.data.resolve()}")
    return 0


def show_certificate(args: argparse.Namespace) -> int:
    from appliance.web.tls import ensure_certificate  # cryptography loads only for this command

    certificate = ensure_certificate(args.data)
    print(f"operator console certificate: {certificate.cert_path}")
    print(f"SHA-256 fingerprint: {certificate.fingerprint}")
    return 0
