"""The ring's light challenge: random per session, played with the exposure held, decided by the
product's code on physically simulated recordings, and refused humanely in the session."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.capture.brightness import BrightnessController
from appliance.capture.camera.base import ExposureLock, Frame
from appliance.capture.camera.lit_face import LitFaceSource
from appliance.capture.leds import VirtualRing
from appliance.capture.light_challenge import BASE, WHITE, random_challenge
from appliance.capture.light_patterns import LENS_CUE_S
from appliance.capture.ring_animator import RingAnimator
from appliance.session.config import LightChallengeSettings
from appliance.session.light_check import RingLightChallenge
from appliance.session.light_response import (
    LUMA_RGB,
    LightResponse,
    challenge_regressors,
    face_regions,
    measure,
    region_series,
)
from appliance.testing import light_scenes as scenes
from appliance.testing.session_fakes import ScriptedLight, countdown_end, make_booth

SETTINGS = LightChallengeSettings()


# -- the challenge -----------------------------------------------------------------------------


def test_every_session_draws_its_own_challenge_from_the_system_entropy():
    drawn = {tuple((round(s.duration_s, 4), s.left, s.right) for s in random_challenge(np.random.default_rng()).steps)
             for _ in range(20)}
    assert len(drawn) == 20


def test_a_challenge_dims_both_sides_and_each_side_and_never_exceeds_the_base_level():
    rng = np.random.default_rng(1)
    for _ in range(50):
        challenge = random_challenge(rng)
        kinds = {(s.left < 1, s.right < 1) for s in challenge.steps}
        assert {(True, True), (True, False), (False, True)} <= kinds
        assert all(max(s.left, s.right) <= 1.0 for s in challenge.steps)
        assert all(a != b for a, b in zip(challenge.steps, challenge.steps[1:], strict=False))
        assert 0.5 < challenge.duration_s < 1.3
    one_sided = random_challenge(rng, two_sided=False)
    assert not one_sided.sided
    assert challenge.gains_at(-0.1) == BASE and challenge.gains_at(challenge.duration_s + 0.01) == BASE


def test_an_rgb_ring_tints_steps_at_random_and_keeps_a_white_step_of_each_kind():
    rng = np.random.default_rng(3)
    drawn = set()
    for _ in range(30):
        challenge = random_challenge(rng, coloured=True)
        assert challenge.coloured
        for kind in (-1, 0, 1):  # the right side, both sides, the left side dimmed
            steps = [s for s in challenge.steps if np.sign(s.right - s.left) == kind]
            assert any(s.colour == WHITE for s in steps)
        assert all(min(s.colour) > 0.2 and max(s.colour) <= 1.0 for s in challenge.steps)
        drawn.add(tuple(s.colour for s in challenge.steps))
        tinted = next(s for s in challenge.steps if s.colour != WHITE)
        t = sum(s.duration_s for s in challenge.steps[: challenge.steps.index(tinted)]) + 0.01
        gains = challenge.channel_gains(t, t)
        assert gains == pytest.approx(np.array([np.multiply(tinted.left, tinted.colour),
                                                np.multiply(tinted.right, tinted.colour)]))
        assert challenge.to_payload()["steps"][challenge.steps.index(tinted)][3] == list(tinted.colour)
    assert len(drawn) > 20  # random per session, colours as well as their order
    assert not random_challenge(rng).coloured  # a white ring plays intensity steps only


def test_the_ring_shows_each_step_in_its_colour():
    clock = [100.0]
    ring = VirtualRing(count=2)
    animator = RingAnimator(ring, BrightnessController(start_level=0.5), countdown_s=3.0, clock=lambda: clock[0])
    animator.set_pattern("countdown")
    challenge = random_challenge(np.random.default_rng(4), coloured=True)
    animator.play_challenge(challenge, 100.35)
    base = animator.render(100.3)
    start = 100.35
    for step in challenge.steps:
        pixels = animator.render(start + step.duration_s / 2)
        for pixel, reference, gain in zip(pixels, base, (step.left, step.right), strict=True):
            assert pixel == pytest.approx(tuple(max(reference) * gain * c for c in step.colour))
        start += step.duration_s


def test_the_per_channel_fits_give_the_luminance_fit_when_every_step_is_white():
    """With white steps the colour channels' fits, weighted by luminance, are exactly the fit of the
    luminance itself (least squares is linear in the data): the white-ring cues keep their meaning."""
    rng = np.random.default_rng(8)
    light = scenes.random_lighting(rng)
    scene = scenes.live_scene(rng, light)
    camera = scenes.random_camera(rng)
    challenge = random_challenge(rng)
    frames = scenes.record(scene, challenge, camera, rng, lead_s=SETTINGS.lead_s, tail_s=SETTINGS.tail_s)
    outcome = measure(frames, scene.landmarks, challenge, SETTINGS.lead_s, SETTINGS, camera.exposure_s)
    regions = face_regions(scene.landmarks, frames[0][1].shape)
    luma = region_series([f for _, f in frames], regions, SETTINGS.gamma) @ LUMA_RGB
    times = np.array([t for t, _ in frames]) - SETTINGS.lead_s
    x = challenge_regressors(challenge, times, outcome.cues["lag_s"], camera.exposure_s)[:, :, 1]  # green = any
    design = np.column_stack([np.ones(len(times)), x, times - times.mean()])
    coef, *_ = np.linalg.lstsq(design, luma, rcond=None)
    assert outcome.cues["response"] == pytest.approx(float(np.median(coef[1] / coef[0])), abs=1e-3)


@pytest.mark.parametrize("seed", [11, 14])
def test_every_colour_channel_of_a_simulated_face_answers_a_coloured_challenge(seed):
    outcome = _trial(seed, "live", coloured=True)
    assert outcome.status == "live", outcome.cues
    assert min(outcome.cues["response_rgb"]) >= SETTINGS.min_channel_response
    assert min(outcome.cues["fit_rgb"]) > 0.8


@pytest.mark.parametrize("kind", ["print", "phone", "tablet"])
def test_a_print_or_screen_is_refused_under_a_coloured_challenge(kind):
    outcome = _trial(23, kind, coloured=True)
    assert outcome.status == "not_live", outcome.cues


def test_the_ring_plays_the_challenge_in_the_countdown_and_then_marks_the_lens():
    clock = [100.0]
    ring = VirtualRing(count=2)
    animator = RingAnimator(ring, BrightnessController(start_level=0.5), countdown_s=3.0, clock=lambda: clock[0])
    animator.set_pattern("countdown")
    challenge = random_challenge(np.random.default_rng(2))
    animator.play_challenge(challenge, 100.35)
    first = challenge.steps[0]
    pixels = animator.render(100.35 + first.duration_s / 2)
    base = animator.render(100.3)
    assert [max(p) for p in pixels] == pytest.approx([max(base[0]) * first.left, max(base[1]) * first.right])
    cue = [animator.render(103.0 - LENS_CUE_S[0] + t) for t in (0.05, 0.15, 0.25, 0.35)]
    assert len({tuple(max(p) for p in c) for c in cue}) > 1  # the ring visibly does something
    assert animator.render(102.8) == animator.render(102.9)  # steady before the shot
    animator.set_pattern("guiding")
    animator.set_pattern("countdown")
    assert animator.render(100.35 + first.duration_s / 2) != pixels or first.left == first.right == 1


# -- the decision on simulated presentations ---------------------------------------------------


def _trial(seed: int, kind: str, settings: LightChallengeSettings = SETTINGS, coloured: bool = False) -> LightResponse:
    rng = np.random.default_rng(seed)
    light = scenes.random_lighting(rng)
    if kind == "live":
        scene = scenes.live_scene(rng, light)
    elif kind == "print":
        scene = scenes.print_scene(rng, light)
    else:
        scene = scenes.screen_scene(rng, light, scenes.PHONE if kind == "phone" else scenes.TABLET)
    camera = scenes.random_camera(rng)
    challenge = random_challenge(rng, coloured=coloured)
    frames = scenes.record(scene, challenge, camera, rng, lead_s=settings.lead_s, tail_s=settings.tail_s)
    return measure(frames, scene.landmarks, challenge, settings.lead_s, settings, exposure_s=camera.exposure_s)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_simulated_live_face_is_accepted(seed):
    outcome = _trial(seed, "live")
    assert outcome.status == "live", outcome.cues


@pytest.mark.parametrize("kind", ["print", "phone", "tablet"])
@pytest.mark.parametrize("seed", [21, 22])
def test_a_simulated_print_or_screen_is_refused(kind, seed):
    outcome = _trial(seed, kind)
    assert outcome.status == "not_live", outcome.cues
    assert outcome.reason_zh and outcome.reason_en


def test_the_face_relief_is_what_refuses_a_print():
    """With the shading cues switched off the same print passes: the refusal is the 3-D cue's."""
    loose = SETTINGS.model_copy(update={"require_shading": False})
    refused = _trial(31, "print")
    assert "shading" in refused.cues["failed"] or "relief" in refused.cues["failed"]
    assert _trial(31, "print", loose).status == "live"


def test_frames_that_do_not_follow_the_challenge_are_refused():
    """A replay of an earlier answer: the live face's frames measured against another challenge."""
    rng = np.random.default_rng(41)
    light = scenes.random_lighting(rng)
    scene = scenes.live_scene(rng, light)
    camera = scenes.random_camera(rng)
    played, other = random_challenge(rng), random_challenge(rng)
    frames = scenes.record(scene, played, camera, rng, lead_s=SETTINGS.lead_s, tail_s=SETTINGS.tail_s)
    assert measure(frames, scene.landmarks, played, SETTINGS.lead_s, SETTINGS, camera.exposure_s).live
    assert not measure(frames, scene.landmarks, other, SETTINGS.lead_s, SETTINGS, camera.exposure_s).live


def test_no_face_or_too_few_frames_is_unmeasured_not_refused():
    challenge = random_challenge(np.random.default_rng(5))
    assert measure([], None, challenge, 0.0, SETTINGS).status == "unmeasured"
    assert measure([(0.0, np.zeros((360, 640, 3), np.uint8))], scenes.live_scene(
        np.random.default_rng(6), scenes.random_lighting(np.random.default_rng(6))).landmarks,
        challenge, 0.0, SETTINGS).status == "unmeasured"


# -- the runner: exposure held for the challenge's duration -------------------------------------


class FakeCamera:
    """Frames at 15 fps on a shared fake clock; records lock and unlock and the frames taken locked."""

    def __init__(self, clock):
        self.clock = clock
        self.calls: list[str] = []
        self.locked = False
        self.index = 0
        self.locked_frames = 0

    def lock_exposure(self):
        self.calls.append("lock")
        self.locked = True
        return ExposureLock(True, 0.01, 2.0, (1.5, 1.6))

    def unlock_exposure(self):
        self.calls.append("unlock")
        self.locked = False

    def next_lores(self, after, timeout):
        self.clock[0] += 1 / 15
        self.index += 1
        self.locked_frames += self.locked
        return Frame(np.full((360, 640, 3), 120, np.uint8), index=self.index, timestamp=self.clock[0])


class FakeRing:
    def __init__(self):
        self.played = []
        self.stopped = 0

    def play_challenge(self, challenge, at):
        self.played.append((challenge, at))

    def stop_challenge(self):
        self.stopped += 1

    def switches(self):
        return []  # a ring that cannot say when it switched: the schedule is used


def test_exposure_is_locked_while_the_challenge_is_recorded_and_released_after():
    clock = [50.0]
    camera, ring = FakeCamera(clock), FakeRing()
    landmarks = scenes.live_scene(np.random.default_rng(7), scenes.random_lighting(np.random.default_rng(7))).landmarks
    runner = RingLightChallenge(SETTINGS, camera, ring, two_sided=True, clock=lambda: clock[0])
    runner.begin(landmarks)
    assert camera.calls == ["lock"]
    challenge, at = ring.played[0]
    assert at == pytest.approx(50.0 + SETTINGS.lead_s)
    for _ in range(100):
        if runner.done():
            break
        import time

        time.sleep(0.01)
    assert runner.done()
    outcome = runner.finish()
    assert camera.calls == ["lock", "unlock"] and ring.stopped >= 1
    assert camera.locked_frames >= (SETTINGS.lead_s + challenge.duration_s) * 15 - 1
    # A flat grey picture does not answer the ring: refused, and the record says what was played.
    assert outcome.status == "not_live"
    assert outcome.cues["challenge"] == challenge.to_payload()
    assert outcome.cues["exposure"]["locked"] is True


def test_a_booth_whose_ring_lights_nothing_records_the_challenge_as_not_run():
    clock = [0.0]
    camera, ring = FakeCamera(clock), FakeRing()
    runner = RingLightChallenge(SETTINGS, camera, ring, two_sided=True, unavailable="virtual LED ring")
    runner.begin(None)
    outcome = runner.finish()
    assert outcome.status == "skipped" and outcome.cues["reason"] == "virtual LED ring"
    assert camera.calls == [] and ring.played == []


# -- the demo's light layer ----------------------------------------------------------------------


class FlatSource:
    name = "flat"

    def open(self):
        pass

    def close(self):
        pass

    def read(self, want_full):
        return Frame(np.full((360, 640, 3), 128, np.uint8))


def test_the_demo_picture_answers_the_ring_and_its_simulated_auto_exposure_needs_the_lock():
    clock = [0.0]
    ring = VirtualRing(count=2)
    ring.show([(0.5, 0.5, 0.5)] * 2)
    source = LitFaceSource(FlatSource(), latency_s=0.0, clock=lambda: clock[0])
    source.attach(lambda: (ring.positions, ring.pixels))
    landmarks = scenes.live_scene(np.random.default_rng(8), scenes.random_lighting(np.random.default_rng(8))).landmarks
    source.face_at(landmarks)
    source.read(False)
    cx, cy = landmarks[:, :2].mean(axis=0).astype(int)
    half = int(np.ptp(landmarks[:, 0]) * 0.35)

    def step(left, right, frames=6):
        ring.show([(left,) * 3, (right,) * 3])
        for _ in range(frames):
            clock[0] += 1 / 15
            image = source.read(False).lores
        return float(image[cy, cx - half].mean()), float(image[cy, cx + half].mean())

    assert source.lock_exposure().locked
    left_dim = step(0.1, 0.5)
    assert left_dim[0] < left_dim[1] < 128  # the side facing the dimmed half darkens more
    step(0.5, 0.5)
    dimmed, held = step(0.2, 0.2, frames=1), step(0.2, 0.2, frames=14)
    assert np.mean(held) == pytest.approx(np.mean(dimmed), abs=1)  # locked: the dimming stays
    step(0.5, 0.5, frames=15)
    source.unlock_exposure()  # the challenge is over: the face is measured afresh for the next one
    source.face_at(landmarks)
    step(0.5, 0.5, frames=15)
    dimmed, adapted = step(0.2, 0.2, frames=1), step(0.2, 0.2, frames=14)
    assert np.mean(adapted) > np.mean(dimmed) + 5  # an unlocked AE works against the ring


# -- the session: one more try, then the operator -----------------------------------------------


def test_a_not_live_refusal_gives_one_retry_then_calls_the_operator_without_dropping_the_session():
    light = ScriptedLight(["not_live", "not_live"])
    booth = make_booth(light=light)
    booth.to_guiding()
    countdown_end(booth)
    assert booth.machine.state == "guiding"
    refused = [e for e in booth.events if e.event == "liveness_refused"]
    assert len(refused) == 1
    first = refused[0].payload
    assert first["message_zh"].startswith("没能确认") and "try once more" in first["message_en"]
    assert first["operator"] is True and first["needs_operator"] is False
    assert first["cues"]["light"]["relief"] == 0.01 and first["cues"]["light"]["status"] == "not_live"
    assert "video" in first["cues"]
    guidance = [e for e in booth.events if e.kind == "guidance"]
    booth.frame()
    last = [e for e in booth.events if e.kind == "guidance"][-1]
    assert len([e for e in booth.events if e.kind == "guidance"]) > len(guidance)
    assert last.payload["message_zh"].startswith("没能确认")

    countdown_end(booth)  # the one more try
    assert booth.machine.state == "guiding" and light.begun == 2
    second = [e for e in booth.events if e.event == "liveness_refused"][-1].payload
    assert second["needs_operator"] is True and "staff" in second["message_en"]
    light_state = booth.machine.snapshot()["light_challenge"]
    assert light_state["refusals"] == 2 and light_state["needs_operator"] is True
    assert light_state["cues"]["light"]["relief"] == 0.01
    for _ in range(20):  # no third countdown by itself, and the button is refused with the reason
        booth.frame()
    assert booth.machine.state == "guiding"
    booth.machine.button_pressed()
    assert booth.machine.state == "guiding"
    assert [t for t in booth.transitions() if t[0] == "ready"] == [("ready", "countdown")] * 2
    assert booth.events[-1].payload["message_en"].startswith("We still could not confirm")
    assert booth.sink.commits == []


def test_a_live_answer_shoots_and_every_cue_is_in_the_photos_record():
    light = ScriptedLight(["not_live", "live"])
    booth = make_booth(light=light)
    booth.to_guiding()
    countdown_end(booth)
    countdown_end(booth)
    assert booth.machine.state == "reviewing"
    booth.machine.button_pressed()
    assert booth.machine.state == "done"
    report = booth.sink.commits[0][1].report
    assert report["liveness"]["light"]["status"] == "live"
    assert set(report["liveness"]) == {"light", "video", "single_frame"}


def test_leaving_the_countdown_early_stops_the_challenge():
    light = ScriptedLight([])
    booth = make_booth(light=light)
    booth.to_guiding()
    booth.frames_until(lambda: booth.machine.state == "countdown")
    booth.machine.button_long_pressed()
    assert booth.machine.state == "idle" and light.cancelled >= 1


def test_single_frame_cues_reach_the_guidance_one_by_one_but_not_the_check_cli_contract():
    from types import SimpleNamespace

    from appliance.inference.checks.base import result
    from appliance.inference.guidance import EngineGuide

    check = result("liveness", "liveness", 0.2, 0.85, True, "", "")
    check = type(check)(**{**check.__dict__, "detail": {"frame_edges": 0.0, "moire": 0.2}})
    assert "detail" not in check.to_dict()
    report = SimpleNamespace(checks=[check], analysis=SimpleNamespace(mesh=None))
    guide = EngineGuide(SimpleNamespace(check=lambda frame, live: report))
    guidance = guide.evaluate(Frame(np.zeros((4, 4, 3), np.uint8)))
    assert guidance.checks[0]["detail"] == {"frame_edges": 0.0, "moire": 0.2}
    assert guidance.spoof_score == pytest.approx(0.2)


def test_the_demo_light_layer_forgets_the_face_when_the_challenge_ends() -> None:
    """The next student sits elsewhere: relighting the last challenge's face there made the demo's
    second session read "face too bright" until it timed out."""
    from appliance.capture.camera.lit_face import LitFaceSource

    frame = np.full((120, 160, 3), 120, np.uint8)

    class Flat:
        name = "flat"

        def open(self) -> None: ...

        def close(self) -> None: ...

        def read(self, want_full: bool):
            return Frame(frame.copy())

    level = [0.5]
    layer = LitFaceSource(Flat())
    layer.attach(lambda: ((-1.0, 1.0), ((level[0],) * 3, (level[0],) * 3)))
    ys, xs = np.mgrid[40:80:8, 60:100:8]
    mesh = np.stack([xs.ravel(), ys.ravel(), np.hypot(xs.ravel() - 80, ys.ravel() - 60)], axis=1).astype(float)
    layer.face_at(mesh)
    layer.lock_exposure()
    layer.read(False)  # the reference level
    level[0] = 1.0
    assert not np.array_equal(layer.read(False).lores, frame)  # the face answers the brighter ring
    layer.unlock_exposure()
    level[0] = 0.2
    assert np.array_equal(layer.read(False).lores, frame)  # no face to relight until the next challenge
