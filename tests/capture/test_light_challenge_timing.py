"""The light challenge on a starved processor: frames and light matched by when they happened.

On a 2-core machine at load 12-18 the demo's frames reached the challenge 0.15-0.54 s after the
light layer sampled the ring (measured: the cue "frame_delay_s"), by a different amount every
time, and the ring thread woke late. Stamped on arrival and measured against the schedule, the demo
face seemed to lag the ring by that jitter and was refused twice ("shading", "relief"; lag 0.33 and
0.51 s), and the session waited for staff. The simulation here is deterministic: one fake clock,
the ring's refreshes and the camera's reads interleaved on it with seeded delays, the product's own
ring animator, light layer and challenge runner in between, the demo's challenge settings.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import pytest

from appliance.capture.brightness import BrightnessController
from appliance.capture.camera.base import Exposure, Frame
from appliance.capture.camera.lit_face import LitFaceSource
from appliance.capture.leds import VirtualRing
from appliance.capture.light_challenge import ChallengeStep, LightChallenge, random_challenge
from appliance.capture.light_patterns import LENS_CUE_S
from appliance.capture.ring_animator import RingAnimator
from appliance.demo.settings import demo_overrides
from appliance.session.config import LightChallengeSettings
from appliance.session.light_check import RingLightChallenge
from appliance.testing import light_scenes as scenes

# The challenge as `appliance run --demo` plays it (longer steps: a PC renders the demo slowly).
SETTINGS = LightChallengeSettings(**demo_overrides("unused")["session"]["liveness"]["light"])
FPS = 15.0
RING_HZ = 30.0


class FlatPicture:
    """The inner demo source: a flat grey picture whose rendering takes `render_s()`, spent on the
    clock by `spend` (the ring thread runs meanwhile)."""

    name = "flat"

    def __init__(self, spend, render_s) -> None:
        self._spend = spend
        self._render_s = render_s

    def open(self) -> None: ...

    def close(self) -> None: ...

    def read(self, want_full: bool) -> Frame:
        self._spend(self._render_s())
        return Frame(np.full((360, 640, 3), 128, np.uint8))


class BusyBooth:
    """A camera (the challenge runner's) and a ring sharing one fake clock on a busy processor.

    The ring thread refreshes every 1/30 s, each time `ring_late_s()` after it was due; the light
    layer samples the ring and renders (`render_s()`), the frame waits `deliver_s()` more for the
    reader thread and is stamped on arrival, as StreamingCamera stamps it; the next read starts a
    frame period later, or when the slow one is done.
    """

    def __init__(self, rng: np.random.Generator, *, render_s, deliver_s, ring_late_s, start: float = 100.0):
        self.clock = [start]
        self.ring = VirtualRing(count=16, clock=self.now)  # the demo's ring of RGB pixels
        countdown = demo_overrides("unused")["session"]["countdown_s"]
        self.animator = RingAnimator(self.ring, BrightnessController(start_level=0.5), countdown_s=countdown,
                                     clock=self.now)
        self.source = LitFaceSource(FlatPicture(self._spend, render_s), clock=self.now)
        self.source.attach(lambda: (self.ring.positions, self.ring.pixels))
        self._deliver_s = deliver_s
        self._ring_late_s = ring_late_s
        self._next_refresh = start
        self._next_read = start
        self._index = 0

    def now(self) -> float:
        return self.clock[0]

    def _spend(self, seconds: float) -> None:
        self._run_ring_until(self.clock[0] + seconds)

    def _run_ring_until(self, t: float) -> None:
        while self._next_refresh <= t:
            self.clock[0] = max(self.clock[0], self._next_refresh + self._ring_late_s())
            self.animator.refresh()
            self._next_refresh = self.clock[0] + 1.0 / RING_HZ
        self.clock[0] = max(self.clock[0], t)

    # -- the camera the challenge runner records from ----------------------------------------------
    def next_lores(self, after: int, timeout: float) -> Frame:
        self._run_ring_until(self._next_read)
        raw = self.source.read(False)
        self._spend(self._deliver_s())
        self._index += 1
        self._next_read = max(self._next_read + 1.0 / FPS, self.clock[0])
        return dataclasses.replace(raw, index=self._index, timestamp=self.clock[0])

    def lock_exposure(self):
        return self.source.lock_exposure()

    def unlock_exposure(self) -> None:
        self.source.unlock_exposure()


def _challenge_on(booth: BusyBooth, seed: int):
    rng = np.random.default_rng(seed)
    landmarks = scenes.live_scene(rng, scenes.random_lighting(rng)).landmarks
    runner = RingLightChallenge(SETTINGS, booth, booth.animator, two_sided=True, coloured=True,
                                clock=booth.now, new_rng=lambda: np.random.default_rng(seed),
                                face_hint=booth.source.face_at)
    booth.animator.set_pattern("guiding")
    booth.source.read(False)  # the guidance frame before the countdown: the AE has metered the face
    booth.animator.set_pattern("countdown")
    runner.begin(landmarks)
    deadline = time.monotonic() + 30.0
    while not runner.done() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runner.done()
    return runner.finish()


def _busy(seed: int) -> BusyBooth:
    """Frames 0.1-0.45 s from the ring's sample to arrival, a ring thread up to 60 ms late."""
    rng = np.random.default_rng(seed)
    return BusyBooth(rng, render_s=lambda: rng.uniform(0.1, 0.3), deliver_s=lambda: rng.uniform(0.0, 0.15),
                     ring_late_s=lambda: rng.uniform(0.0, 0.06))


def _quiet(seed: int) -> BusyBooth:
    rng = np.random.default_rng(seed)
    return BusyBooth(rng, render_s=lambda: 0.015, deliver_s=lambda: 0.002, ring_late_s=lambda: rng.uniform(0, 0.003))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_demo_face_passes_the_challenge_on_a_quiet_processor(seed):
    outcome = _challenge_on(_quiet(seed), seed)
    assert outcome.status == "live", outcome.cues


@pytest.mark.parametrize("seed", [2, 7, 8, 9])
def test_the_demo_face_passes_the_challenge_on_a_starved_processor(seed):
    """Matched by exposure time and by the ring's own switch times, the face answers as on a quiet
    processor, at a third of the frame rate. These seeds are four of the six in 1..30 that were
    refused before (shading, relief, colour; best lag 0.36-0.5 s), as the booth was under load."""
    outcome = _challenge_on(_busy(seed), seed)
    assert outcome.status == "live", outcome.cues
    assert outcome.cues["ring"]["timing"] == "switches"
    assert outcome.cues["lag_s"] <= 0.05  # the answer follows the light at once, as the light layer renders it


def test_no_starved_recording_is_refused_or_left_unmeasured():
    outcomes = [_challenge_on(_busy(seed), seed) for seed in range(10, 22)]
    assert [o.status for o in outcomes] == ["live"] * len(outcomes), [o.cues.get("failed") for o in outcomes]


# -- the pieces --------------------------------------------------------------------------------


def test_the_played_challenge_follows_the_rings_switch_times():
    steps = (ChallengeStep(0.15, 0.35, 0.35), ChallengeStep(0.12, 0.2, 1.0), ChallengeStep(0.18, 1.0, 0.4))
    challenge = LightChallenge(steps)
    # Scheduled at 10.0; the ring showed step 0 at 10.05, skipped past step 1's start to show it at
    # 10.30, step 2 at 10.40 (its pattern 0.31 s in), and the steady level again at 10.50.
    switches = [(9.9, -0.1), (10.05, 0.02), (10.30, 0.16), (10.40, 0.31), (10.50, 0.50)]
    played = challenge.as_played(switches, until=11.0)
    assert played is not None and played.started_at == pytest.approx(10.05)
    assert [s.duration_s for s in played.challenge.steps] == pytest.approx([0.25, 0.10, 0.10])
    assert [(s.left, s.right) for s in played.challenge.steps] == [(0.35, 0.35), (0.2, 1.0), (1.0, 0.4)]
    assert (played.measurable_from, played.measurable_until) == (-math.inf, math.inf)
    # A ring that had not switched back when the recording ended: the last step lasts until then.
    played = challenge.as_played(switches[:-1], until=10.8)
    assert played is not None and played.challenge.steps[-1].duration_s == pytest.approx(0.4)
    assert challenge.as_played([(9.9, -0.1)], until=11.0) is None


def test_frames_that_saw_other_light_than_the_challenges_are_not_measured():
    """A tick still showing when the challenge was set, the lens cue after it: frames exposed then
    saw light that is neither a step nor the steady level."""
    challenge = LightChallenge((ChallengeStep(0.2, 0.35, 0.35), ChallengeStep(0.2, 0.2, 1.0)))
    switches = [(9.6, None), (9.65, -0.35), (10.0, 0.0), (10.2, 0.2), (10.4, 0.4), (10.7, None)]
    played = challenge.as_played(switches, until=11.0)
    assert played is not None and (played.measurable_from, played.measurable_until) == (9.65, 10.7)
    assert [s.duration_s for s in played.challenge.steps] == pytest.approx([0.2, 0.2])


def test_the_ring_says_when_it_showed_a_tick_or_the_lens_cue_during_a_challenge():
    clock = [100.0]
    animator = RingAnimator(VirtualRing(count=16), BrightnessController(start_level=0.5), countdown_s=3.5,
                            clock=lambda: clock[0])
    animator.set_pattern("countdown")
    animator.refresh()  # the countdown's first tick (a dip) before the challenge is set
    challenge = random_challenge(np.random.default_rng(3), step_min_s=0.25, step_max_s=0.35)
    animator.play_challenge(challenge, 100.35)
    while clock[0] < 103.0:
        clock[0] += 1 / 30
        animator.refresh()
    switches = animator.switches()
    assert switches[0] == (100.0, None)  # the tick that was showing
    assert switches[1][1] is not None and switches[1][1] < 0  # then the steady level, no more ticks
    steps = [into for _, into in switches if into is not None and 0 <= into < challenge.duration_s]
    assert len(steps) == len(challenge.steps)
    cue = [at for at, into in switches if into is None and at > 100.35 + challenge.duration_s]
    assert cue and cue[0] == pytest.approx(103.5 - LENS_CUE_S[0], abs=1 / 30)  # the lens cue


def test_a_frame_is_timed_by_its_exposure_where_the_source_knows_it():
    assert Frame(np.zeros((2, 2, 3), np.uint8), timestamp=5.0).seen_at == 5.0
    assert Frame(np.zeros((2, 2, 3), np.uint8), timestamp=5.0, exposed_at=4.8).seen_at == 4.8


def test_the_pi_cameras_sensor_timestamp_becomes_the_end_of_exposure_on_the_monotonic_clock():
    from appliance.capture.camera.picamera import exposure_end

    # Exposure began 80 ms ago on the boot clock and lasted 20 ms: it ended 60 ms ago in the first
    # row, 30 ms later in the last one (a 30 ms readout).
    exposure = Exposure(exposure_s=0.02, sensor_ns=int(1000.0e9), origin="sensor")
    assert exposure_end(exposure, boottime_s=1000.08, monotonic_s=500.0) == pytest.approx(499.94)
    assert exposure_end(exposure, boottime_s=1000.08, monotonic_s=500.0, readout_s=0.03) == pytest.approx(499.97)
    assert exposure_end(Exposure(), boottime_s=1000.0, monotonic_s=500.0) is None
    assert exposure_end(exposure, boottime_s=999.0, monotonic_s=500.0) is None  # in the future
    assert exposure_end(exposure, boottime_s=2000.0, monotonic_s=500.0) is None  # another clock


def test_the_camera_keeps_the_sources_exposure_time_and_never_one_after_arrival():
    from appliance.capture.camera.streaming import StreamingCamera

    class Stamped:
        name = "stamped"

        def __init__(self, ahead: float) -> None:
            self.ahead = ahead

        def open(self) -> None: ...

        def close(self) -> None: ...

        def read(self, want_full: bool) -> Frame:
            return Frame(np.zeros((8, 8, 3), np.uint8), exposed_at=time.monotonic() + self.ahead)

    for ahead, check in ((-0.05, lambda f: f.seen_at < f.timestamp), (5.0, lambda f: f.seen_at == f.timestamp)):
        camera = StreamingCamera(Stamped(ahead), lores_size=(8, 8), fps=30.0)
        camera.start()
        try:
            frame = camera.next_lores(0, timeout=5.0)
        finally:
            camera.stop()
        assert frame is not None and frame.exposed_at is not None and check(frame)
