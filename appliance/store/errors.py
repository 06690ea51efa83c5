"""Errors of the store that a person (operator) can act on."""

from appliance.errors import ApplianceError


class StoreError(ApplianceError):
    """The store cannot be opened or used (corrupt database, unreadable key, missing photo)."""


class StorageFullError(StoreError):
    """The disk is nearly full: new captures are refused so that accepted photos stay safe."""
