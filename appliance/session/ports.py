"""The session's only ways to touch the world.

The state machine decides; these ports do. Each is a Protocol so that the real parts (the engine's
live guidance, the capture-code reader, the producer, the store, the camera) and the tests' fakes are
interchangeable, and so the machine can be driven end to end without a camera, a model or a disk.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict, runtime_checkable

import numpy as np

from appliance.capture.camera.base import Frame
from appliance.session.chart import SessionState
from appliance.session.light_response import LightResponse


@runtime_checkable
class Binding(Protocol):
    """Who is being photographed, as decoded from the capture code (never shown unmasked)."""

    @property
    def capture_code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def id_number(self) -> str: ...


@dataclass(frozen=True)
class CodeRejected:
    """A code was seen but cannot be used (wrong session, unreadable payload, already photographed)."""

    reason_zh: str
    reason_en: str


class CodeReader(Protocol):
    def read(self, frame: Frame) -> Binding | CodeRejected | None:
        """The code in the guidance frame's view (its `lores` picture); None when no code is in
        view, so scanning simply waits for the next frame."""
        ...

    def login(self, student_number: str, id_number: str) -> Binding | CodeRejected:
        """Student number + ID number instead of a code (SPEC §1), against the run's roster."""
        ...


@dataclass(frozen=True)
class Guidance:
    """The engine's verdict on one live frame: the single most important message, in priority order
    distance, centring, pose, then eyes/mouth/glasses/light, plus what liveness needs from it."""

    passed: bool
    message_zh: str
    message_en: str
    # every check's record (CheckResult.to_dict(), with its detail), in the engine's priority order
    checks: list[dict[str, Any]] = field(default_factory=list)
    # 468x3 face-mesh landmarks in image pixels (z in the same scale); None when no face was found.
    landmarks: np.ndarray | None = None
    # Single-frame presentation-attack score, 0 (live) .. 1 (print or screen); None when not computed.
    spoof_score: float | None = None


class Guide(Protocol):
    def evaluate(self, frame: Frame) -> Guidance:
        """The verdict on one guidance frame (its `lores` picture; index, time and exposure beside it)."""
        ...


class StillSource(Protocol):
    def capture_stills(self, n: int) -> Sequence[Frame]:
        """A burst of frames taken now, each with its still-resolution picture (`Frame.main`)."""
        ...


@dataclass(frozen=True)
class StillChoice:
    """The frame of the burst that becomes the still, and why: the product's report keeps it."""

    frame: Frame
    position: int  # in the burst
    reason: str
    rule: str = ""
    # each frame's record and measures as the picker compared them (JSON-ready)
    candidates: tuple[dict[str, Any], ...] = ()

    def to_payload(self) -> dict[str, Any]:
        return {"chosen": {"position": self.position, **self.frame.describe()}, "reason": self.reason,
                "rule": self.rule, "candidates": list(self.candidates)}


class StillPicker(Protocol):
    def choose(self, frames: Sequence[Frame]) -> StillChoice:
        """The frame most likely to pass (sharp, eyes open, facing the camera), and why."""
        ...


@dataclass(frozen=True)
class Product:
    """A produced photo and the verdict of every check on it."""

    ok: bool
    jpeg: bytes | None
    reason_zh: str = ""
    reason_en: str = ""
    report: dict[str, Any] = field(default_factory=dict)


class Producer(Protocol):
    def produce(self, still: np.ndarray) -> Product: ...


class Receipt(TypedDict):
    """An accepted photo as the store kept it, masked: the screen's receipt, the `done` event's
    payload and the last line `appliance run --once` prints (JSON, so a dict with fixed keys)."""

    session: str
    capture_code: str  # masked
    photo: str  # its path on the booth
    sha256: str
    verdict: str
    bytes: int


class PhotoSink(Protocol):
    def commit(self, binding: Binding, product: Product) -> Receipt:
        """Store the accepted photo durably and return its receipt (session, masked capture code,
        photo path, sha256, verdict)."""
        ...

    def refusal(self, binding: Binding, product: Product) -> tuple[str, str] | None:
        """Why this product can never be stored for this binding (its bytes are already another
        student's), as (Chinese, English); None when it can. Asked before the subject reviews it."""
        ...

    def unavailable(self) -> tuple[str, str] | None:
        """Why no photo can be stored now (storage full, read-only), as (Chinese, English); None
        when it can. Asked before a session starts, so nobody poses for a photo that cannot be kept."""
        ...


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds; injected so tests drive time instead of sleeping."""
        ...


class MonotonicClock:
    """The real clock."""

    def now(self) -> float:
        return time.monotonic()


class LightChallenger(Protocol):
    """The ring's light challenge during the countdown (appliance/session/light_check.py)."""

    def begin(self, landmarks: np.ndarray | None) -> None:
        """The countdown started: draw a challenge, hold the exposure, play it, record."""
        ...

    def done(self) -> bool:
        """The answer has been recorded (or nothing is being recorded)."""
        ...

    def finish(self) -> LightResponse:
        """Measure and decide; releases the exposure and the ring."""
        ...

    def cancel(self) -> None: ...


class NoLightChallenge:
    """For sessions built without a ring (tests of other parts): every outcome says it was skipped."""

    def begin(self, landmarks: np.ndarray | None) -> None:
        return None

    def done(self) -> bool:
        return True

    def finish(self) -> LightResponse:
        return LightResponse("skipped", {"reason": "no light challenge in this session"})

    def cancel(self) -> None:
        return None


class _Identity(TypedDict):
    capture_code: str
    name: str
    id_number: str


class MaskedIdentity(_Identity, total=False):
    """Who is being photographed, masked for the screen; with an earlier photo's date when the store
    already holds one of this student (the screen asks before a retake). The optional keys are a
    `total=False` class, not NotRequired[], so that they are optional at run time too (postponed
    annotations hide NotRequired from Python 3.11's TypedDict)."""

    already_captured_at: str
    prior_confirmed: str  # "yes" | "no": the server has the earlier photo


class LightChallengeView(TypedDict):
    """The light challenge's refusals as the operator's console shows them."""

    refusals: int
    needs_operator: bool
    cues: dict[str, Any] | None
    overrides: list[dict[str, Any]]  # the audited decisions, without their cues


class SessionSnapshot(TypedDict):
    """What a screen that connects mid-session needs to draw the current state (JSON as it is)."""

    state: SessionState
    run_id: str
    identity: MaskedIdentity | None
    retakes_left: int
    guidance: dict[str, Any] | None  # the latest guidance event's payload
    receipt: Receipt | None  # only while the receipt is on screen
    light_challenge: LightChallengeView
