"""Errors of the capture hardware, phrased for the operator standing at the booth."""

from appliance.errors import ApplianceError


class HardwareUnavailableError(ApplianceError):
    """The settings ask for a device (camera, GPIO, LED driver) this machine does not have."""


class CameraError(ApplianceError):
    """The camera could not deliver frames (not opened, failed, or timed out during a burst)."""
