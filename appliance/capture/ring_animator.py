"""Runs the ring: follows the session's state events and the engine's lighting measurements.

One small thread redraws the current pattern at `refresh_hz` and writes to the ring only when
something changed. The session never calls the ring directly: it publishes state changes and
lighting measurements, and `state_changed` / `lighting_measured` are the listeners it subscribes.
Which pattern a state shows is data handed in by the composition root (`state_patterns`), so the
ring knows no session state names of its own; without it a state selects the pattern of its name.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from appliance.capture.brightness import BrightnessController, RingLevels
from appliance.capture.config import LedSettings, capture_section
from appliance.capture.leds import RGB, LedRing
from appliance.capture.light_challenge import LightChallenge
from appliance.capture.light_patterns import PATTERNS, PatternContext, guiding

log = logging.getLogger(__name__)


class RingAnimator:
    def __init__(
        self,
        ring: LedRing,
        controller: BrightnessController,
        *,
        refresh_hz: float = 30.0,
        idle_level: float = 0.25,
        max_level: float = 0.9,
        countdown_s: float = 3.0,
        flash_gain: float = 1.0,
        state_patterns: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ring = ring
        self.controller = controller
        self._period = 1.0 / refresh_hz
        self._idle_level = idle_level
        self._max_level = max_level
        self._countdown_s = countdown_s
        self._flash_gain = flash_gain
        if state_patterns is None:
            state_patterns = {name: name for name in PATTERNS}
        unknown = set(state_patterns.values()) - set(PATTERNS)
        if unknown:
            raise ValueError(f"unknown ring patterns: {sorted(unknown)}")
        self._state_patterns = {str(k).lower(): v for k, v in state_patterns.items()}
        self._clock = clock
        self._lock = threading.Lock()
        self._pattern = "idle"
        self._since = clock()
        self._warned: set[str] = set()
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown: list[RGB] | None = None
        self._challenge: LightChallenge | None = None
        self._challenge_at = 0.0
        # (clock time the ring had changed, seconds into the challenge the new pixels show) of every
        # change while a challenge is set: when the ring really switched, whatever the thread's delays
        self._switches: list[tuple[float, float | None]] = []

    @property
    def pattern(self) -> str:
        return self._pattern

    @property
    def levels(self) -> RingLevels:
        return self.controller.levels

    def state_changed(self, state: Any) -> None:
        """Listener for session state events: a name (or an enum member) selects the pattern."""
        name = str(getattr(state, "value", state)).lower()
        pattern = self._state_patterns.get(name)
        if pattern is None:
            if name not in self._warned:
                self._warned.add(name)
                log.warning("LED ring: no pattern for state %r, keeping %r", name, self._pattern)
            return
        self.set_pattern(pattern)

    def set_pattern(self, pattern: str) -> None:
        if pattern not in PATTERNS:
            raise ValueError(f"unknown ring pattern {pattern!r}")
        with self._lock:
            if pattern != self._pattern:
                self._pattern = pattern
                self._since = self._clock()
                self._challenge = None

    def play_challenge(self, challenge: LightChallenge, at: float) -> None:
        """Play `challenge` from clock time `at` within the current countdown; the next pattern change
        forgets it. The ring is redrawn at `refresh_hz`, so a step starts on the next redraw, and
        later on a busy processor: `switches` says when each step was really shown."""
        with self._lock:
            self._challenge = challenge
            self._challenge_at = at
            now = self._clock()
            self._switches = [(now, self._challenge_point(self._shown, now))]  # what the ring shows now

    def stop_challenge(self) -> None:
        with self._lock:
            self._challenge = None

    def switches(self) -> list[tuple[float, float | None]]:
        """(clock time, seconds into the challenge) of what the ring showed when the challenge was
        set and of each change since: from that time on the ring showed the challenge at that point
        of it (before or after its steps: the steady level), or None: other light (a tick, the lens
        cue) that frames exposed then cannot be measured against."""
        with self._lock:
            return list(self._switches)

    def lighting_measured(self, mean_luma: float | None, balance: float | None) -> None:
        """Listener for the engine's lighting check on a guidance frame (see brightness.py)."""
        with self._lock:
            self.controller.update(mean_luma, balance, self._clock())

    def render(self, now: float | None = None) -> list[RGB]:
        """The pixels the ring should show at `now`; pure apart from reading the state."""
        with self._lock:
            now = self._clock() if now is None else now
            return PATTERNS[self._pattern](max(now - self._since, 0.0), self._context())

    def _context(self) -> PatternContext:
        return PatternContext(
            angles=self.ring.angles,
            levels=self.controller.levels,
            idle_level=self._idle_level,
            max_level=self._max_level,
            countdown_s=self._countdown_s,
            flash_gain=self._flash_gain,
            challenge=self._challenge,
            challenge_offset_s=self._challenge_at - self._since,
        )

    def _challenge_point(self, pixels: list[RGB] | None, now: float) -> float | None:
        """Seconds into the challenge that `pixels` show at `now`, None for light that is neither one
        of its steps nor the steady level it is measured against (a tick, the lens cue)."""
        assert self._challenge is not None
        into = now - self._challenge_at
        if 0.0 <= into < self._challenge.duration_s or pixels == guiding(0.0, self._context()):
            return into
        return None

    def refresh(self) -> None:
        now = self._clock()
        pixels = self.render(now)
        if pixels != self._shown:
            self.ring.show(pixels)
            self._shown = pixels
            shown_at = self._clock()  # the ring shows the new pixels once show() has returned
            with self._lock:
                if self._challenge is not None:
                    self._switches.append((shown_at, self._challenge_point(pixels, now)))

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop_event.clear()
        self._thread = threading.Thread(target=self._run, name="led-ring", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and leave the ring dark (the ring itself stays open)."""
        thread, self._thread = self._thread, None
        self._stop_event.set()
        if thread is not None:
            thread.join(timeout=2.0)
        self.ring.off()
        self._shown = None

    def _run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.refresh()
            except Exception:
                log.exception("LED ring: refresh failed")
            self._stop_event.wait(self._period)


def build_ring_animator(settings: Any, ring: LedRing, countdown_s: float = 3.0,
                        state_patterns: Mapping[str, str] | None = None) -> RingAnimator:
    """The animator for a built ring, with the brightness loop configured from the settings and the
    pattern of each state the composition root names."""
    config = capture_section(settings, LedSettings)
    controller = BrightnessController(
        target_luma=config.target_face_luma,
        luma_deadband=config.luma_deadband,
        balance_deadband=config.balance_deadband,
        max_change_per_s=config.max_change_per_s,
        min_level=config.min_level,
        max_level=config.max_level,
        max_balance_offset=config.max_balance_offset,
        start_level=config.start_level,
        two_sided=ring.two_sided,
    )
    return RingAnimator(
        ring,
        controller,
        refresh_hz=config.refresh_hz,
        idle_level=config.idle_level,
        max_level=config.max_level,
        countdown_s=countdown_s,
        flash_gain=config.flash_gain,
        state_patterns=state_patterns,
    )
