"""Errors a user can act on.

Each carries one line meant for a person (operator, CLI user); the CLI prints it instead of a
traceback, so the text must say what went wrong and, where there is one, the fix.
"""


class ApplianceError(Exception):
    """Base for errors whose message is shown to a person as-is."""


class SettingsError(ApplianceError):
    """A settings file or value is invalid."""


class ModelError(ApplianceError):
    """A model file is missing, corrupt or cannot be loaded."""


class ImageError(ApplianceError):
    """An input image cannot be used (unreadable, empty, too large, not an image)."""


def split_message(text: str) -> tuple[str, str]:
    """Errors carry 'Chinese / English' in one line; the screen shows the two separately."""
    zh, _, en = text.partition(" / ")
    return zh.strip(), (en or zh).strip()
