"""Runs the light challenge for the session: draw it, hold the exposure, play it, record, measure.

The session calls `begin` when the countdown starts and `finish` when it ends. In between, one
short-lived thread takes every guidance frame the camera delivers (not only the ones the engine has
time to analyse) with the time it was taken, from the countdown's start until the challenge's answer
has arrived; the ring plays the steps from `lead_s` on, after the exposure lock has taken effect.

Frames and light are matched by when each happened, not by when the software got round to them:
a frame by the end of its exposure (Frame.seen_at: the sensor's timestamp, not its arrival after
the readout and a busy reader thread), the light by the times the ring really switched (its
`switches`, not the schedule a late ring thread falls behind). On a loaded processor both delays
vary from step to step and frame to frame; no single camera lag could then align the answer, and
a live face would be refused for shading the processor's timing, not its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from appliance.capture.camera.base import ExposureLock
from appliance.capture.light_challenge import BASE, WHITE, LightChallenge, Playback, random_challenge
from appliance.session.config import LightChallengeSettings
from appliance.session.light_response import LightResponse, measure

log = logging.getLogger(__name__)

# Frames kept at most (15 fps x ~2 s plus margin): a stalled clock cannot fill the memory.
_MAX_FRAMES = 120


class ChallengeCamera(Protocol):
    def next_lores(self, after: int, timeout: float) -> Any: ...

    def lock_exposure(self) -> ExposureLock: ...

    def unlock_exposure(self) -> None: ...


class ChallengeRing(Protocol):
    def play_challenge(self, challenge: LightChallenge, at: float) -> None: ...

    def stop_challenge(self) -> None: ...

    def switches(self) -> list[tuple[float, float | None]]:
        """(clock time, seconds into the challenge, None for other light) of each change of the
        ring while it played; empty when the ring cannot tell (the schedule is used then)."""
        ...


SKIPPED = LightResponse("skipped", {"reason": "light challenge disabled in the settings"})


class RingLightChallenge:
    """The session's LightChallenger on a real (or simulated) ring and camera."""

    def __init__(
        self,
        settings: LightChallengeSettings,
        camera: ChallengeCamera,
        ring: ChallengeRing,
        *,
        two_sided: bool,
        coloured: bool = False,
        clock: Callable[[], float] = time.monotonic,
        new_rng: Callable[[], np.random.Generator] = np.random.default_rng,
        face_hint: Callable[[np.ndarray | None], None] | None = None,
        unavailable: str = "",
    ) -> None:
        self._settings = settings
        self._camera = camera
        self._ring = ring
        self._two_sided = two_sided
        self._coloured = coloured  # an RGB ring: the steps vary the light's colour too
        self._clock = clock
        self._new_rng = new_rng
        self._face_hint = face_hint
        # Why this booth cannot run the challenge at all (a virtual ring lighting nothing): said in
        # every outcome, so the record shows the cue was not measured rather than passed.
        self._unavailable = unavailable
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._frames: list[tuple[float, np.ndarray]] = []
        self._delays: list[float] = []  # each frame's arrival after its exposure, for the record
        self._challenge: LightChallenge | None = None
        self._landmarks: np.ndarray | None = None
        self._lock: ExposureLock | None = None
        self._started_at = 0.0
        self._until = 0.0
        self.last_challenge: LightChallenge | None = None

    def begin(self, landmarks: np.ndarray | None) -> None:
        self.cancel()
        s = self._settings
        if not s.enabled or self._unavailable:
            self._challenge = None
            return
        self._landmarks = None if landmarks is None else np.array(landmarks, dtype=np.float64)
        self._challenge = random_challenge(self._new_rng(), steps=s.steps, step_min_s=s.step_min_s,
                                           step_max_s=s.step_max_s, two_sided=self._two_sided,
                                           coloured=self._coloured)
        self.last_challenge = self._challenge
        if self._face_hint is not None:
            self._face_hint(self._landmarks)
        self._lock = self._camera.lock_exposure()
        now = self._clock()
        self._started_at = now + s.lead_s
        self._until = self._started_at + self._challenge.duration_s + s.tail_s
        self._ring.play_challenge(self._challenge, self._started_at)
        self._frames = []
        self._delays = []
        self._stop.clear()
        self._thread = threading.Thread(target=self._record, args=(now,), name="light-challenge", daemon=True)
        self._thread.start()

    def done(self) -> bool:
        return self._thread is None or not self._thread.is_alive()

    def finish(self) -> LightResponse:
        """Measure what was recorded (stopping the recording if it is still running) and release
        the exposure and the ring; the outcome's cues say what was played and measured."""
        if self._challenge is None:
            if self._unavailable:
                return LightResponse("skipped", {"reason": self._unavailable})
            return SKIPPED
        self._end_recording()
        switches = self._ring.switches()  # kept after the ring stopped playing
        challenge, self._challenge = self._challenge, None
        lock = self._lock or ExposureLock(False, reason="not locked")
        exposure = lock.exposure_s if lock.locked else None
        played = challenge.as_played(switches, self._until) if switches else None
        frames, recorded = self._frames, len(self._frames)
        if played is None:
            shown, started_at = challenge, self._started_at
        else:
            shown, started_at = played.challenge, played.started_at
            frames = [(t, image) for t, image in frames if played.measurable_from <= t < played.measurable_until]
        try:
            outcome = measure(frames, self._landmarks, shown, started_at, self._settings, exposure_s=exposure)
        finally:
            self._frames = []
        delays = np.array(self._delays or [0.0])
        cues = {**outcome.cues, "challenge": challenge.to_payload(), "exposure": lock.to_payload(),
                "ring": _ring_timing(self._started_at, played, recorded, len(frames)),
                "frame_delay_s": [round(float(delays.min()), 3), round(float(delays.max()), 3)]}
        return LightResponse(outcome.status, cues, outcome.reason_zh, outcome.reason_en)

    def cancel(self) -> None:
        if self._challenge is not None or self._thread is not None:
            self._end_recording()
            self._challenge = None
            self._frames = []

    def _end_recording(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=2.0)
        self._ring.stop_challenge()
        self._camera.unlock_exposure()

    def _record(self, since: float) -> None:
        index = -1
        try:
            while not self._stop.is_set() and len(self._frames) < _MAX_FRAMES:
                frame = self._camera.next_lores(index, timeout=0.5)
                if frame is None:
                    if self._clock() > self._until:
                        return
                    continue
                index = frame.index
                taken = float(frame.seen_at)
                if taken < since:
                    continue
                if taken > self._until:
                    return
                self._frames.append((taken, frame.lores))
                self._delays.append(float(frame.timestamp) - taken)
        except Exception:
            log.exception("light challenge: recording failed")


def _ring_timing(scheduled_at: float, played: Playback | None, recorded: int, measured: int) -> dict[str, object]:
    """How the ring kept to the schedule, for the record: how late the first step appeared, how
    many steps it showed (a step a starved ring never reached is missing) and how many of the
    recorded frames saw only the challenge's light."""
    if played is None:
        return {"timing": "scheduled"}
    shown = [step for step in played.challenge.steps if (step.left, step.right, step.colour) != (*BASE, WHITE)]
    return {"timing": "switches", "late_s": round(played.started_at - scheduled_at, 3), "steps_shown": len(shown),
            "frames_recorded": recorded, "frames_measured": measured}
