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
# Each scrypt check holds about 32 MiB while it runs: this many at once is what a Pi can spare.
MAX_CONCURRENT_CHECKS = 2
# How long a check waits for a free slot before the caller is told to come back later.
CHECK_WAIT_S = 5.0


class PasswordError(ApplianceError):
    """A password or user name that cannot be accepted."""


def check_new_password(username: str, password: str) -> None:
    if not username or len(username) > 32 or any(ch not in USERNAME_PATTERN for ch in username):
        raise PasswordError("operator: user name must be 1-32 of a-z, 0-9, '.', '_' and '-'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(f"operator: the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if hmac.compare_digest(password.lower(), username.lower()):
        raise PasswordError("operator: the password must differ from the user name")


class PasswordCheckBusy(ApplianceError):
    """Every password-check slot stayed taken: answer "try again later" instead of queueing memory."""


class OperatorAccounts:
    """Operator name -> password hash; backed by a file, or only by memory for the demo."""

    def __init__(self, path: Path | None, hashes: dict[str, str] | None = None,
                 max_concurrent_checks: int = MAX_CONCURRENT_CHECKS, check_wait_s: float = CHECK_WAIT_S) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._checks = threading.BoundedSemaphore(max_concurrent_checks)
        self._check_wait = check_wait_s
        self._dummy_hash: str | None = None
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
        """True for the right password; at most `max_concurrent_checks` hashes are computed at once.

        Raises PasswordCheckBusy when no slot frees up in time, so a burst of guesses waits in
        nothing bigger than a thread instead of each holding scrypt's memory.
        """
        if not self._checks.acquire(timeout=self._check_wait):
            raise PasswordCheckBusy("operator: too many password checks at once")
        try:
            with self._lock:
                stored = self._hashes.get(username)
                if stored is None and self._dummy_hash is None:
                    # Made on first use, not at import: an unknown name costs as long as a wrong password.
                    self._dummy_hash = generate_password_hash("no such operator, timing only")
                dummy = self._dummy_hash
            if stored is None:
                check_password_hash(dummy or "", password)
                return False
            return check_password_hash(stored, password)
        finally:
            self._checks.release()
