"""Errors of the store that a person (operator) can act on."""

from appliance.errors import ApplianceError


class StoreError(ApplianceError):
    """The store cannot be opened or used (corrupt database, unreadable key, missing photo)."""


class StorageFullError(StoreError):
    """The disk is nearly full: new captures are refused so that accepted photos stay safe."""


class PhotoConflictError(StoreError):
    """The same photo bytes are already filed under another student: refused, never merged."""


class StorageReadOnlyError(StoreError):
    """The store's disk or database cannot be written: new captures are refused."""
