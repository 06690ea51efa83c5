"""Operator accounts: salted password hashes in one small file, written atomically.

There is no default password: the installer (or `appliance operator passwd`) sets one, and the demo
makes a random one that lives only in memory. Only werkzeug's scrypt/pbkdf2 hashes are stored, so a
copy of the data folder does not give the console away.
"""

from __future__ import annotations

import hmac
import json
import os
import threading
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from appliance.errors import ApplianceError
from appliance.store.durable_files import atomic_write

PASSWORD_FILE = "operator-passwords.json"
MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = "abcdefghijklmnopqrstuvwxyz0123456789._-"
# A hash to compare against for unknown users, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("no such operator, timing only")


class PasswordError(ApplianceError):
    """A password or user name that cannot be accepted."""


def check_new_password(username: str, password: str) -> None:
    if not username or len(username) > 32 or any(ch not in USERNAME_PATTERN for ch in username):
        raise PasswordError("operator: user name must be 1-32 of a-z, 0-9, '.', '_' and '-'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(f"operator: the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if hmac.compare_digest(password.lower(), username.lower()):
        raise PasswordError("operator: the password must differ from the user name")


class OperatorAccounts:
    """Operator name -> password hash; backed by a file, or only by memory for the demo."""

    def __init__(self, path: Path | None, hashes: dict[str, str] | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._hashes: dict[str, str] = dict(hashes or {})
        if path is not None and path.exists():
            try:
                self._hashes.update(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                raise PasswordError(f"operator: cannot read {path}: {exc}") from None

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> OperatorAccounts:
        return cls(Path(data_dir) / PASSWORD_FILE)

    @classmethod
    def in_memory(cls, username: str, password: str) -> OperatorAccounts:
        accounts = cls(None)
        accounts.set_password(username, password)
        return accounts

    @property
    def configured(self) -> bool:
        return bool(self._hashes)

    def set_password(self, username: str, password: str) -> None:
        check_new_password(username, password)
        with self._lock:
            self._hashes[username] = generate_password_hash(password)
            if self._path is not None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                data = json.dumps(self._hashes, indent=1, sort_keys=True).encode()
                atomic_write(self._path, data)
                os.chmod(self._path, 0o600)

    def verify(self, username: str, password: str) -> bool:
        with self._lock:
            stored = self._hashes.get(username)
        if stored is None:
            check_password_hash(_DUMMY_HASH, password)
            return False
        return check_password_hash(stored, password)
