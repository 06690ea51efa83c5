"""Access to the machine's real GPIO through gpiozero, never quietly replaced by mock pins."""

from __future__ import annotations

import warnings
from typing import Any

from appliance.capture.errors import HardwareUnavailableError


def real_pin_factory(device: str) -> Any:
    """gpiozero's default pin factory, refusing mock pins picked up from GPIOZERO_PIN_FACTORY."""
    from gpiozero import Device
    from gpiozero.exc import GPIOZeroError
    from gpiozero.pins.mock import MockFactory

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # one fallback warning per pin library tried
            factory = Device._default_pin_factory()
    except (GPIOZeroError, OSError, ImportError, RuntimeError) as exc:
        raise HardwareUnavailableError(
            f"{device}: no GPIO on this machine ({exc}); on a PC use `appliance run --demo`"
        ) from None
    if isinstance(factory, MockFactory):
        factory.close()
        raise HardwareUnavailableError(
            f"{device}: GPIOZERO_PIN_FACTORY selects mock pins; unset it, or use `appliance run --demo`"
        )
    return factory
