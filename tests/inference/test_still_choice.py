"""The burst's still is the frame the engine's own checks like best, and the choice says why.

The frames are made at test time from real photographs in ../shared/faces: a portrait blurred as
a sway during the exposure would, and the Yale database's own pairs of one person photographed with
eyes open ("normal") and closed ("sleepy").
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.capture.camera.base import Exposure, Frame
from appliance.inference.still_choice import MEASURES, EngineStillChooser, FrameMeasures, choose_still, face_crop

STILL = (1600, 1200)  # a 4:3 still, as the booth's camera delivers
LORES = (640, 480)


def as_still(image: np.ndarray, size: tuple[int, int] = STILL) -> np.ndarray:
    """The photo enlarged into a still of `size`, centred, the background's edge repeated."""
    width, height = size
    scale = 0.9 * min(width / image.shape[1], height / image.shape[0])
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    top, left = (height - image.shape[0]) // 2, (width - image.shape[1]) // 2
    return cv2.copyMakeBorder(image, top, height - image.shape[0] - top, left, width - image.shape[1] - left,
                              cv2.BORDER_REPLICATE)


def motion_blurred(image: np.ndarray, length: int = 25) -> np.ndarray:
    """A horizontal sway of `length` pixels during the exposure."""
    kernel = np.full((1, length), 1.0 / length, np.float32)
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REPLICATE)


def burst(images: list[np.ndarray], first_index: int = 40) -> list[Frame]:
    return [Frame(cv2.resize(image, LORES, interpolation=cv2.INTER_AREA), image, index=first_index + i,
                  timestamp=10.0 + i / 15, exposure=Exposure(exposure_s=1 / 60, analogue_gain=2.0, origin="sensor"),
                  source="test") for i, image in enumerate(images)]


def laplacian_variance(image: np.ndarray) -> float:
    """The measure the booth used before: variance of the Laplacian of a 480 px grey copy."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    scale = 480 / max(grey.shape)
    grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


@pytest.fixture
def chooser(analyzer):
    analyzer.reset_tracking()
    yield EngineStillChooser(analyzer)
    analyzer.reset_tracking()


def test_the_sharp_frame_is_chosen_over_frames_blurred_by_motion(chooser, plain_portrait) -> None:
    sharp = as_still(plain_portrait)
    frames = burst([motion_blurred(sharp), sharp, motion_blurred(sharp, 15)])
    choice = chooser.choose(frames)
    assert choice.position == 1 and choice.frame is frames[1]
    payload = choice.to_payload()
    assert payload["chosen"]["index"] == 41 and payload["chosen"]["timestamp"] == pytest.approx(10.0 + 1 / 15)
    assert payload["chosen"]["exposure"]["analogue_gain"] == 2.0
    candidates = payload["candidates"]
    assert [c["index"] for c in candidates] == [40, 41, 42]
    assert all(set(c["measures"]) == set(MEASURES) for c in candidates)
    blur = [c["measures"]["sharpness"]["value"] for c in candidates]
    assert blur[1] < min(blur[0], blur[2])
    assert "sharpness" in candidates[0]["failed"] and candidates[1]["failed"] == []
    assert "fewest failed" in payload["reason"] and payload["rule"]


@pytest.mark.parametrize("subject", ["01", "09"])
def test_open_eyes_win_over_closed_eyes_whatever_the_order(chooser, face_photo, subject) -> None:
    """Yale's subjects photographed with eyes open ("normal") and closed ("sleepy")."""
    closed = as_still(face_photo(f"b_eyes_closed/yale_subject{subject}_sleepy.png"))
    opened = as_still(face_photo(f"a_good_frontal/yale_subject{subject}_normal.png"))
    for frames, expected in (([closed, opened], 1), ([opened, closed], 0)):
        choice = chooser.choose(burst(frames))
        assert choice.position == expected
        measures = {c["position"]: c["measures"] for c in choice.candidates}
        assert measures[expected]["eyes_open"]["passed"] and not measures[1 - expected]["eyes_open"]["passed"]
        assert "fewest failed" in choice.reason


def test_a_busy_background_does_not_make_a_blurred_face_the_still(chooser, plain_portrait) -> None:
    """The Laplacian variance the booth used before reads the whole frame: a frame whose face is
    blurred by motion but whose background is full of edges (a shelf, a poster) scored sharper."""
    sharp = as_still(plain_portrait)
    busy = motion_blurred(sharp)
    rng = np.random.default_rng(5)
    texture = rng.integers(0, 2, (STILL[1] // 8, 200 // 8), dtype=np.uint8) * 255
    busy[:, :200] = cv2.resize(texture, (200, STILL[1]), interpolation=cv2.INTER_NEAREST)[..., None]
    assert laplacian_variance(busy) > 2 * laplacian_variance(sharp)
    choice = chooser.choose(burst([busy, sharp]))
    assert choice.position == 1
    assert "sharpness" in choice.candidates[0]["failed"] and choice.candidates[1]["failed"] == []


def test_with_a_live_track_each_frame_is_measured_around_the_face_as_on_the_whole_still(
        analyzer, chooser, plain_portrait) -> None:
    sharp = as_still(plain_portrait)
    whole = chooser.measure(0, burst([sharp])[0])
    for _ in range(4):
        analyzer.check(cv2.resize(sharp, LORES, interpolation=cv2.INTER_AREA), live=True)
    seed = analyzer.live_seed(sharp.shape)
    assert seed is not None
    x0, y0, x1, y1 = face_crop(sharp.shape, seed)
    assert (x1 - x0) * (y1 - y0) < 0.6 * sharp.shape[0] * sharp.shape[1]  # a crop, not the still
    cropped = chooser.measure(0, burst([sharp])[0])
    assert [c.passed for c in cropped.checks] == [c.passed for c in whole.checks]
    assert cropped.value("sharpness") == pytest.approx(whole.value("sharpness"), abs=0.03)
    assert cropped.value("eyes_open") == pytest.approx(whole.value("eyes_open"), abs=0.01)
    frames = burst([motion_blurred(sharp), sharp])
    assert chooser.choose(frames).position == 1


class _Segmenting:
    """The engine as the chooser used it before: every analysis with its person mask."""

    def __init__(self, analyzer) -> None:
        self._analyzer = analyzer
        self.settings = analyzer.settings

    def live_seed(self, shape):
        return self._analyzer.live_seed(shape)

    def analyze(self, bgr, **options):
        return self._analyzer.analyze(bgr, **{**options, "segment": True})


def test_the_chooser_segments_nothing_and_chooses_and_reports_as_it_did_with_segmentation(
        analyzer, chooser, plain_portrait, face_photo, monkeypatch) -> None:
    segmented: list[tuple[int, ...]] = []
    run = analyzer.segmenter.run
    monkeypatch.setattr(analyzer.segmenter, "run", lambda rgb: segmented.append(rgb.shape) or run(rgb))
    sharp = as_still(plain_portrait)
    closed = as_still(face_photo("b_eyes_closed/yale_subject01_sleepy.png"))
    opened = as_still(face_photo("a_good_frontal/yale_subject01_normal.png"))
    bursts = [[motion_blurred(sharp), sharp, motion_blurred(sharp, 15)], [closed, opened],
              [sharp, motion_blurred(sharp, 9)]]
    before = EngineStillChooser(_Segmenting(analyzer))
    for tracked in (False, True):
        if tracked:  # the booth's case: the live track seeds a crop around the face
            for _ in range(4):
                analyzer.check(cv2.resize(sharp, LORES, interpolation=cv2.INTER_AREA), live=True)
            assert analyzer.live_seed(sharp.shape) is not None
        for images in bursts:
            frames = burst(images)
            segmented.clear()
            now = chooser.choose(frames)
            assert segmented == []
            then = before.choose(frames)
            assert len(segmented) == len(frames)  # the old way ran it once per frame
            assert now.frame is then.frame and now.to_payload() == then.to_payload()


def test_a_frame_without_a_face_loses_and_ties_go_to_the_earliest() -> None:
    frames = burst([np.zeros((12, 16, 3), np.uint8)] * 3)
    empty = FrameMeasures(0, frames[0], ())
    assert empty.failed == len(MEASURES) and empty.to_payload()["failed"] == list(MEASURES)
    from appliance.inference.checks.base import result

    checks = (result("sharpness", "sharpness", 0.5, 0.6, True, "", ""),
              result("eyes_open", "eyes", 0.06, 0.04, True, "", ""))
    choice = choose_still([empty, FrameMeasures(1, frames[1], checks), FrameMeasures(2, frames[2], checks)])
    assert choice.position == 1 and "earliest" in choice.reason
    assert choose_still([empty]).reason == "the only frame of the burst"
    with pytest.raises(ValueError):
        choose_still([])


def test_the_photos_record_names_the_frame_that_became_the_still_and_why() -> None:
    from appliance.testing.session_fakes import make_booth

    booth = make_booth()
    booth.to_guiding()
    booth.to_reviewing()
    booth.machine.button_pressed()
    assert booth.machine.state == "done"
    (_, product), = booth.sink.commits
    still = product.report["still"]
    burst = booth.machine_settings.burst_size
    assert still["chosen"]["position"] == burst - 1 and still["chosen"]["index"] == 100 + burst - 1
    assert still["chosen"]["exposure"]["exposure_s"] == 0.01 and still["reason"] == "the last frame (fake picker)"
    assert [c["index"] for c in still["candidates"]] == [100 + i for i in range(burst)]
    chosen = next(e for e in booth.events if e.event == "chosen")
    assert chosen.payload["frame"] == 100 + burst - 1
    produced = next(e for e in booth.events if e.event == "produced")
    assert produced.payload["report"]["still"]["chosen"]["index"] == 100 + burst - 1


def test_a_picker_naming_a_frame_outside_the_burst_is_a_fault() -> None:
    from appliance.testing.session_fakes import FakePicker, make_booth

    class Stray(FakePicker):
        def choose(self, frames):
            choice = super().choose(frames)
            return type(choice)(burst([np.zeros((8, 6, 3), np.uint8)])[0], choice.position, "stray")

    booth = make_booth(picker=Stray())
    booth.to_guiding()
    booth.frames_until(lambda: booth.machine.state == "countdown")
    booth.tick(booth.machine_settings.countdown_s + 0.01)
    assert booth.machine.state in ("failsafe", "idle") and not booth.sink.commits
