"""The student's status link: an unguessable token per photo and the address a phone can open.

The token is an HMAC of the photo's sha256 under a per-booth secret kept in the data folder, so
the store needs no new column and only the holder of the receipt's QR can open the page: the
sha256 alone (printed shortened on the receipt, shown in the console) opens nothing. The address
is `web.public_url` when set, else the booth's own LAN address; never loopback, which on a
student's phone would be the phone itself.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
from pathlib import Path

from appliance.store.durable_files import atomic_write

SECRET_FILE = "status-link.key"
_TOKEN_BYTES = 16


class StatusLinks:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("status link secret must have at least 16 bytes")
        self._secret = secret

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> StatusLinks:
        """The booth's secret, made once (0600, written durably) and kept across restarts."""
        path = Path(data_dir) / SECRET_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, secrets.token_hex(32).encode("ascii"))
        return cls(bytes.fromhex(path.read_text(encoding="ascii").strip()))

    def token(self, sha256: str) -> str:
        digest = hmac.new(self._secret, b"status:" + sha256.encode("ascii"), hashlib.sha256).digest()
        return digest[:_TOKEN_BYTES].hex()

    def valid(self, sha256: str, token: str) -> bool:
        return hmac.compare_digest(self.token(sha256).encode(), token.encode("ascii", "replace"))


def _is_local(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def lan_address() -> str | None:
    """This machine's address on its default route (no packet is sent), or None without a network."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if _is_local(address) else address


def public_base(public_url: str, host: str, port: int) -> str | None:
    """Where a phone on the booth's Wi-Fi reaches this screen; None when nothing but loopback is
    served (then the receipt says the status page is not reachable rather than show a dead QR)."""
    if public_url:
        return public_url.rstrip("/")
    if host in ("0.0.0.0", "::"):
        address = lan_address()
        return f"http://{address}:{port}" if address else None
    if _is_local(host):
        return None
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
