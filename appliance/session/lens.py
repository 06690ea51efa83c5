"""Where the lens is, in the words the countdown's last second shows.

In a booth the subject's screen sits beside the camera and students look at the screen; the last
message before the shutter tells them where to look instead (the LED ring marks the lens).
"""

from __future__ import annotations

from typing import Literal

LensPosition = Literal["above", "below", "left", "right"]

_HINTS: dict[str, tuple[str, str]] = {
    "above": ("请抬眼看屏幕上方的镜头（亮灯处）", "Look up into the lens above the screen, where the light ring glows"),
    "below": ("请看屏幕下方的镜头（亮灯处）", "Look into the lens below the screen, where the light ring glows"),
    "left": ("请看屏幕左边的镜头（亮灯处）", "Look into the lens left of the screen, where the light ring glows"),
    "right": ("请看屏幕右边的镜头（亮灯处）", "Look into the lens right of the screen, where the light ring glows"),
}


def lens_hint(position: LensPosition) -> tuple[str, str]:
    """(Chinese, English) message pointing the subject's eyes at the lens."""
    return _HINTS[position]
