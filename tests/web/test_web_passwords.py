"""Operator passwords: hashed on disk, no default, weak ones refused, the CLI sets one."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from appliance.web import passwords
from appliance.web.passwords import PASSWORD_FILE, OperatorAccounts, PasswordCheckBusy, PasswordError

REPO = Path(__file__).resolve().parents[2]


def test_passwords_are_stored_hashed_and_verified(tmp_path: Path) -> None:
    accounts = OperatorAccounts.in_data_dir(tmp_path)
    assert not accounts.configured
    accounts.set_password("operator", "a long enough secret")
    stored = json.loads((tmp_path / PASSWORD_FILE).read_text())
    assert "a long enough secret" not in json.dumps(stored)
    assert stored["operator"].startswith(("scrypt:", "pbkdf2:"))
    again = OperatorAccounts.in_data_dir(tmp_path)
    assert again.verify("operator", "a long enough secret")
    assert not again.verify("operator", "a long enough secreT")
    assert not again.verify("nobody", "a long enough secret")
    assert (tmp_path / PASSWORD_FILE).stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(("user", "password"), [("operator", "short"), ("operator", "OPERATOR"),
                                                ("bad name", "long enough pw"), ("", "long enough pw")])
def test_weak_passwords_and_odd_names_are_refused(tmp_path: Path, user: str, password: str) -> None:
    with pytest.raises(PasswordError):
        OperatorAccounts.in_data_dir(tmp_path).set_password(user, password)


def test_operator_passwd_command_sets_a_password(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "appliance", "operator", "passwd", "--data", str(tmp_path), "--password-stdin"],
        input="installer chose this\n", capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert OperatorAccounts.in_data_dir(tmp_path).verify("operator", "installer chose this")
    short = subprocess.run(
        [sys.executable, "-m", "appliance", "operator", "passwd", "--data", str(tmp_path), "--password-stdin"],
        input="short\n", capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )
    assert short.returncode == 2 and "at least" in short.stderr


def test_password_checks_beyond_the_bound_are_refused_not_queued(monkeypatch) -> None:
    """Each scrypt check holds ~32 MiB: a check that finds every slot taken is refused."""
    accounts = OperatorAccounts(None, max_concurrent_checks=1, check_wait_s=0.05)
    accounts.set_password("operator", "a long enough secret")
    release, entered = threading.Event(), threading.Event()
    real = passwords.check_password_hash

    def slow_check(stored: str, password: str) -> bool:
        entered.set()
        release.wait(5)
        return real(stored, password)

    monkeypatch.setattr(passwords, "check_password_hash", slow_check)
    first = threading.Thread(target=accounts.verify, args=("operator", "wrong password 1"))
    first.start()
    assert entered.wait(5)
    with pytest.raises(PasswordCheckBusy):
        accounts.verify("operator", "wrong password 2")
    release.set()
    first.join()
    assert accounts.verify("operator", "a long enough secret")
