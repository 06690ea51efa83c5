"""Fakes for every port of the session machine, and a booth assembled from them."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from appliance.capture.camera.base import Exposure, Frame
from appliance.session.chart import SessionState
from appliance.session.config import SessionSettings
from appliance.session.events import EventBus, SessionEvent
from appliance.session.light_response import LightResponse
from appliance.session.liveness import LivenessTracker
from appliance.session.machine import SessionMachine
from appliance.session.ports import CodeRejected, Guidance, Product, Receipt, StillChoice
from appliance.testing import synthetic_faces as sf

FPS = 15.0
NAME = "黄小正"
ID_NUMBER = "110101200001011234"
CODE = "c8bade99b9b2edca"
STUDENT_NUMBER = "2022001234"


@dataclass(frozen=True)
class FakeBinding:
    capture_code: str = CODE
    name: str = NAME
    id_number: str = ID_NUMBER


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


class FakeReader:
    """Sees the code on every frame once `result` is set; logs in the one student of its roster
    (STUDENT_NUMBER with ID_NUMBER) and refuses anyone else, as the run's roster does."""

    def __init__(self) -> None:
        self.result: FakeBinding | CodeRejected | None = FakeBinding()
        self.calls = 0
        self.logins: list[str] = []
        self.last_frame: Frame | None = None

    def read(self, frame: Frame) -> FakeBinding | CodeRejected | None:
        self.calls += 1
        self.last_frame = frame
        return self.result

    def login(self, student_number: str, id_number: str) -> FakeBinding | CodeRejected:
        self.logins.append(student_number)
        if (student_number, id_number.upper()) != (STUDENT_NUMBER, ID_NUMBER):
            return CodeRejected("学号或身份证号不正确", "The student number or ID number is not correct")
        return FakeBinding()


class FakeGuide:
    """Replays a landmark sequence; `passed` is what the engine's checks say, `fail` raises."""

    def __init__(self, sequence: list[np.ndarray]) -> None:
        self.sequence = sequence
        self.index = 0
        self.passed = True
        self.fail: Exception | None = None
        self.last_frame: Frame | None = None

    def evaluate(self, frame: Frame) -> Guidance:
        self.last_frame = frame
        if self.fail is not None:
            raise self.fail
        landmarks = self.sequence[self.index % len(self.sequence)]
        self.index += 1
        message = ("很好，保持不动", "Good, hold still") if self.passed else ("请靠近一点", "Move closer")
        return Guidance(self.passed, *message, checks=[{"name": "distance", "passed": self.passed}],
                        landmarks=landmarks, spoof_score=0.1)


class FakeStills:
    def __init__(self) -> None:
        self.fail: Exception | None = None
        self.bursts = 0

    def capture_stills(self, n: int) -> Sequence[Frame]:
        if self.fail is not None:
            raise self.fail
        self.bursts += 1
        first = 100 * self.bursts
        return [Frame(np.full((4, 3, 3), i, np.uint8), np.full((8, 6, 3), i, np.uint8), index=first + i,
                      timestamp=float(first + i), exposure=Exposure(exposure_s=0.01, origin="simulated"))
                for i in range(n)]


class FakePicker:
    """Chooses the burst's last frame, as a picker that names what it compared."""

    def choose(self, frames: Sequence[Frame]) -> StillChoice:
        position = len(frames) - 1
        return StillChoice(frames[position], position, "the last frame (fake picker)", rule="last",
                           candidates=tuple({"position": i, **f.describe()} for i, f in enumerate(frames)))


class FakeProducer:
    """Verdicts in order; the last one repeats."""

    def __init__(self, verdicts: list[bool] | None = None) -> None:
        self.verdicts = verdicts or [True]
        self.calls = 0

    def produce(self, still: np.ndarray) -> Product:
        assert isinstance(still, np.ndarray)
        ok = self.verdicts[min(self.calls, len(self.verdicts) - 1)]
        self.calls += 1
        reason = ("", "") if ok else ("眼睛未睁开", "Eyes are not open")
        return Product(ok, b"\xff\xd8fake-jpeg" if ok else None, *reason,
                       report={"eyes": {"ok": ok, "value": np.float32(0.03)}, "student_name": NAME})


class FakeSink:
    def __init__(self) -> None:
        self.commits: list[tuple[Any, Product]] = []

    def commit(self, binding: Any, product: Product) -> Receipt:
        assert product.jpeg is not None, "an accepted product has no JPEG"
        self.commits.append((binding, product))
        return {"session": "26031601", "capture_code": binding.capture_code, "photo": "/data/p/1.jpg",
                "sha256": "ab" * 32, "verdict": "pass", "bytes": len(product.jpeg)}

    def refusal(self, binding: Any, product: Product) -> tuple[str, str] | None:
        return None

    def unavailable(self) -> tuple[str, str] | None:
        return None


def live_landmarks(seed: int = 3, seconds: float = 6.0) -> list[np.ndarray]:
    """A live head swaying ~2 degrees and blinking twice."""
    rng = np.random.default_rng(seed)
    return sf.live_sequence(rng, int(seconds * FPS), FPS, 2.0, 0.8, [1.0, 4.0])


def replay_landmarks(seed: int = 4, seconds: float = 6.0) -> list[np.ndarray]:
    """A flat screen replaying a blinking face, waved about by hand."""
    rng = np.random.default_rng(seed)
    return sf.print_sequence(rng, int(seconds * FPS), FPS, 6.0, 0.8, [1.0, 4.0])


@dataclass
class Booth:
    machine: SessionMachine
    clock: FakeClock
    reader: FakeReader
    guide: FakeGuide
    stills: FakeStills
    producer: FakeProducer
    sink: FakeSink
    bus: EventBus
    events: list[SessionEvent] = field(default_factory=list)

    def frame(self) -> None:
        self.clock.advance(1.0 / FPS)
        self.machine.frame(Frame(np.zeros((4, 4, 3), np.uint8), timestamp=self.clock.t))

    def frames_until(self, done: Callable[[], bool], limit: int = 200) -> int:
        for count in range(1, limit + 1):
            self.frame()
            if done():
                return count
        raise AssertionError(f"not reached after {limit} frames; state {self.machine.state}")

    def tick(self, seconds: float) -> None:
        self.machine.tick(self.clock.advance(seconds))

    def transitions(self) -> list[tuple[str, str]]:
        return [(e.event, e.target) for e in self.events if e.kind == "transition"]

    def notices(self) -> list[str]:
        return [e.event for e in self.events if e.kind == "notice"]

    def to_guiding(self) -> None:
        self.machine.button_pressed()
        self.frame()
        self.machine.button_pressed()
        assert self.machine.state == SessionState.GUIDING

    def to_reviewing(self) -> None:
        self.frames_until(lambda: self.machine.state == SessionState.COUNTDOWN)
        self.tick(self.machine_settings.countdown_s + 0.01)
        assert self.machine.state == SessionState.REVIEWING

    @property
    def machine_settings(self) -> SessionSettings:
        return self.machine._settings

    def all_text(self) -> str:
        return "\n".join(json.dumps(e.to_dict(), ensure_ascii=False) for e in self.events)


def make_booth(sequence: list[np.ndarray] | None = None, verdicts: list[bool] | None = None,
               clock: Any = None, still_source: Any = None, sink: Any = None, light: Any = None,
               picker: Any = None, **overrides: Any) -> Booth:
    settings = SessionSettings.model_validate(overrides)
    clock = clock or FakeClock()
    reader, stills, producer = FakeReader(), FakeStills(), FakeProducer(verdicts)
    sink = sink or FakeSink()
    guide = FakeGuide(sequence if sequence is not None else live_landmarks())
    bus = EventBus()
    ids = iter(f"run{i}" for i in range(1, 1000))
    machine = SessionMachine(
        settings, code_reader=reader, guide=guide, still_source=still_source or stills, picker=picker or FakePicker(),
        producer=producer, sink=sink, clock=clock, bus=bus, liveness=LivenessTracker(settings.liveness),
        light=light, new_run_id=lambda: next(ids),
    )
    booth = Booth(machine, clock, reader, guide, stills, producer, sink, bus)
    bus.subscribe(booth.events.append)
    return booth


class ScriptedLight:
    """A light challenge that answers with the statuses it was given, in turn (the session's side of
    issue N without the ring or the camera)."""

    def __init__(self, statuses: Sequence[str]) -> None:
        self.statuses = list(statuses)
        self.begun = 0
        self.cancelled = 0

    def begin(self, landmarks: np.ndarray | None) -> None:
        assert landmarks is not None
        self.begun += 1

    def done(self) -> bool:
        return True

    def finish(self) -> LightResponse:
        status = self.statuses.pop(0)
        failed = [] if status == "live" else ["relief"]
        return LightResponse(status, {"response": 0.7, "relief": 0.01, "failed": failed},
                             "未能确认是本人", "Not confirmed")

    def cancel(self) -> None:
        self.cancelled += 1


def countdown_end(booth: Booth) -> None:
    """Run a booth in guiding through its countdown to the challenge's decision."""
    booth.frames_until(lambda: booth.machine.state == SessionState.COUNTDOWN)
    booth.tick(booth.machine_settings.countdown_s + 0.01)
