"""One subject's walk through the booth, driven by inputs and reported as events.

Inputs (frames, button presses, screen actions, clock ticks) may arrive from several threads (camera
loop, GPIO callbacks, web requests); they are serialised by one lock so the session is always in
exactly one state. Whether the session moves is decided by `chart.BoothChart` alone (its sources,
its guards, which input asks for which event); this class is the chart's listener that does each
state's work in `on_enter_*` / `on_exit_*` callbacks through the injected ports and answers the
guards the chart names. The chart's other listener, `SessionPublisher`, puts every transition on the
bus, so the screen, the LEDs, the store and the log follow the session without being called by it.
Any exception in a state lands in `failsafe`, is logged, and recovers to idle; nothing of an
unaccepted attempt is kept.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
from statemachine import State
from statemachine.exceptions import TransitionNotAllowed

from appliance.capture.camera.base import Frame
from appliance.errors import ApplianceError
from appliance.inference.checks.liveness import LIVENESS
from appliance.privacy import mask_code, mask_id_number, mask_name
from appliance.session.chart import (
    AT_REST,
    BUTTON_EVENTS,
    LIVE_TRACKED,
    SCREEN_EVENTS,
    TIMED_STATES,
    BoothChart,
    SessionState,
    events_leaving,
)
from appliance.session.config import SessionSettings
from appliance.session.events import GUIDANCE, NOTICE, TRANSITION, EventBus, SessionPublisher, safe_payload
from appliance.session.lens import lens_hint
from appliance.session.liveness import LivenessTracker
from appliance.session.ports import (
    Binding,
    Clock,
    CodeReader,
    CodeRejected,
    Guidance,
    Guide,
    LightChallenger,
    MaskedIdentity,
    NoLightChallenge,
    PhotoSink,
    Producer,
    Product,
    Receipt,
    SessionSnapshot,
    StillChoice,
    StillPicker,
    StillSource,
)

log = logging.getLogger(__name__)

S = SessionState
WEB_ACTIONS = tuple(SCREEN_EVENTS)
# A press this soon after the receipt appears is the accepting press repeated (or its bounce):
# it must not clear the receipt before the student could scan its QR.
RECEIPT_MIN_S = 3.0
# After a refused light challenge the retry message stays on the guidance screen this long.
_LIGHT_HINT_S = 6.0
# The countdown waits at most this long past its end for the light challenge's last frames.
_LIGHT_GRACE_S = 2.0
_LIGHT_RETRY = ("没能确认是您本人在镜头前。请正对镜头、摘下遮挡、保持不动，我们再试一次",
                "We could not confirm a live person in front of the camera. Face the lens, hold still,"
                " and we will try once more")
_LIGHT_STAFF = ("仍未能确认是本人现场拍摄，请联系现场工作人员协助",
                "We still could not confirm a live capture; please ask the staff for help")
# What the operator may decide on a subject the light challenge refused (the console's buttons).
OVERRIDE_ACTIONS = ("retry", "accept")
_OVERRIDE_SAID = {
    "retry": ("工作人员已允许再试一次：请正对镜头，保持不动",
              "The staff let you try once more: face the lens and hold still"),
    "accept": ("工作人员已确认，请按提示继续拍照", "The staff confirmed you: please go on with the photo"),
}


class SessionFault(Exception):
    """A port broke its contract (empty burst, index out of range); handled by the failsafe."""


def _explained(exc: Exception) -> dict[str, str]:
    """The subject-facing reason of a failure the booth's own code worded for people ('中文 / English',
    a full or read-only store at commit); empty for anything else, which the screen calls a generic error."""
    if not isinstance(exc, ApplianceError):
        return {}
    zh, _, en = str(exc).partition(" / ")
    return {"message_zh": zh.strip(), "message_en": (en or zh).strip()} if en else {}


class SessionMachine:
    def __init__(
        self,
        settings: SessionSettings,
        *,
        code_reader: CodeReader,
        guide: Guide,
        still_source: StillSource,
        picker: StillPicker,
        producer: Producer,
        sink: PhotoSink,
        clock: Clock,
        bus: EventBus,
        liveness: LivenessTracker,
        light: LightChallenger | None = None,
        new_run_id: Callable[[], str] = lambda: uuid.uuid4().hex[:12],
    ) -> None:
        self._settings = settings
        self._reader = code_reader
        self._guide = guide
        self._still_source = still_source
        self._picker = picker
        self._producer = producer
        self._sink = sink
        self._clock = clock
        self.bus = bus
        self._liveness = liveness
        self._light = light if light is not None else NoLightChallenge()
        self._new_run_id = new_run_id
        self._lock = threading.RLock()
        self._publisher = SessionPublisher(bus, clock, lambda: self._run_id)
        self._run_id = ""
        self._entered_at = clock.now()
        self._last_notice: tuple[str, str] | None = None
        # A guard's reason for saying no, and an automatic state's failure, until they are handled.
        self._refusal: tuple[str, str, str, dict[str, Any]] | None = None
        self._override_refused: tuple[str, str] | None = None  # why the chart refused the operator
        self._held: Exception | None = None
        self._frame_work: dict[SessionState, Callable[[Frame], None]] = {S.SCANNING: self._scan}
        self._frame_work.update(dict.fromkeys(LIVE_TRACKED, self._evaluate))
        # Why the camera is unavailable (None while it delivers); kept across sessions so every
        # screen the subject sees during an outage says so, not only the one it began on.
        self._camera_problem: str | None = None
        self._receipt: Receipt | None = None
        self._last_guidance: dict[str, Any] | None = None  # the latest guidance payload, reset by _discard
        self._discard()
        self._chart = self._new_chart()

    # -- inputs -------------------------------------------------------------------------------

    def frame(self, frame: Frame) -> None:
        """A guidance frame, handed whole to the code reader or the guidance (they read its lores picture)."""
        self._handle(self._on_frame, frame)

    def button_pressed(self) -> None:
        self._handle(self._on_button)

    def button_long_pressed(self) -> None:
        """Cancel: the subject walks away from whatever they were doing."""
        self._handle(self._cancel, "button")

    def web_action(self, name: str) -> None:
        if name not in WEB_ACTIONS:
            raise ValueError(f"unknown session action {name!r}; expected one of {', '.join(WEB_ACTIONS)}")
        self._handle(self._on_web_action, name)

    def tick(self, now: float | None = None) -> None:
        self._handle(self._on_tick, now)

    def student_login(self, student_number: str, id_number: str) -> CodeRejected | None:
        """Student number + ID number instead of a code (SPEC §1), while the booth is scanning;
        None when it bound the student (the session moves on to confirming), else the refusal."""
        outcome: list[CodeRejected] = []
        self._handle(self._on_login, student_number, id_number, outcome)
        return outcome[0] if outcome else None

    def operator_override(self, action: str, operator: str, reason: str,
                          audit: Callable[[dict[str, Any]], float | None] | None = None) -> tuple[str, str] | None:
        """The operator's decision on a subject the light challenge refused: `retry` gives one more
        try, `accept` lets the session go on as live. None when it took effect, else why not.

        `audit` commits the entry (operator, reason, the refused cues) before anything changes and
        returns its wall-clock time; if it raises, the session is untouched."""
        if action not in OVERRIDE_ACTIONS:
            raise ValueError(f"unknown override {action!r}; expected one of {', '.join(OVERRIDE_ACTIONS)}")
        with self._lock:
            self._override_refused = None
            entry: dict[str, Any] = {"action": action, "operator": operator, "reason": reason,
                                     "session": self._run_id, "refusals": self._light_refusals,
                                     "cues": self._light_refused_cues}
            payload = {"action": action, "operator": operator, "reason": reason, "refusals": self._light_refusals}
            try:
                self._chart.send("override", payload=payload, action=action, reason=reason, entry=entry,
                                 audit=audit)
            except TransitionNotAllowed:
                return self._override_refused or ("当前无法覆盖", "The override cannot apply now")
            self._notice("operator_override", *_OVERRIDE_SAID[action])
        return None

    def camera_lost(self, reason: str) -> None:
        """The camera failed; an attempt in progress cannot be finished and is abandoned."""
        self._handle(self._on_camera_lost, reason)

    def camera_restored(self) -> None:
        """The camera delivers frames again (after it reopened)."""
        self._handle(self._on_camera_restored)

    # -- what the screen asks -----------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        return SessionState(self._chart.current_state_value)

    @property
    def run_id(self) -> str:
        return self._run_id

    def preview(self) -> bytes | None:
        """The produced JPEG while the subject reviews it; personal data, so never in an event."""
        with self._lock:
            return self._product.jpeg if self._product is not None and self.state == S.REVIEWING else None

    def snapshot(self) -> SessionSnapshot:
        """What a screen that connects mid-session needs to draw the current state."""
        with self._lock:
            return {
                "state": self.state,
                "run_id": self._run_id,
                "identity": self._masked_identity(),
                "retakes_left": self._retakes_left(),
                "guidance": self._last_guidance,
                # The receipt on screen (its QR names the student's status page): only while shown.
                "receipt": self._receipt if self.state == S.DONE else None,
                "light_challenge": {"refusals": self._light_refusals, "needs_operator": self._light_blocked,
                                    "cues": self._light_refused_cues,
                                    "overrides": [{k: v for k, v in o.items() if k != "cues"}
                                                  for o in self._light_overrides]},
            }

    # -- machinery ----------------------------------------------------------------------------

    def _new_chart(self) -> BoothChart:
        # The publisher first: it hears each state entered before that state's own work starts.
        return BoothChart(listeners=[self._publisher, self])

    def _handle(self, action: Callable[..., None], *args: Any) -> None:
        with self._lock:
            try:
                action(*args)
                self._raise_held()
                self._end_countdown()
                self._raise_held()
            except Exception as exc:
                log.exception("session %s failed in state %s", self._run_id or "-", self.state)
                self._held = None
                self._fail(exc)

    def _now(self) -> float:
        return self._clock.now()

    def _go(self, event: str, **payload: Any) -> None:
        """Take a transition the session itself decided on; the chart refusing it is a fault."""
        self._chart.send(event, payload=payload)

    def _ask(self, event: str, payload: dict[str, Any] | None = None, **guard: Any) -> bool:
        """Ask for a transition an input requested: False (after the guard's notice, if it left one)
        when the current state does not take `event` or its guard says no."""
        self._refusal = None
        if event not in events_leaving(self.state):
            return False  # e.g. "ready" on a countdown's frames: no need to run the chart for a no
        try:
            self._chart.send(event, payload=payload or {}, **guard)
        except TransitionNotAllowed:
            refusal, self._refusal = self._refusal, None
            if refusal is not None:
                notice, zh, en, extra = refusal
                self._notice(notice, zh, en, **extra)
            return False
        return True

    def _raise_held(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            raise held

    def _work(self, step: Callable[[], None]) -> None:
        """Run an automatic state's work from its enter callback. A failure is held and raised once
        the chart has settled in that state (the library would roll the state back to the one before),
        so the failsafe is entered from the state whose work failed."""
        try:
            step()
        except Exception as exc:
            self._held = exc

    def _publish(self, kind: str, event: str, source: SessionState, target: SessionState,
                 payload: dict[str, Any]) -> None:
        self._publisher.publish(kind, event, source, target, payload)

    def _notice(self, event: str, zh: str, en: str, **extra: Any) -> None:
        """Tell the subject why nothing happened; repeated notices in one state are sent once."""
        if self._last_notice == (zh, en):
            return
        self._last_notice = (zh, en)
        self._publish(NOTICE, event, self.state, self.state, {"message_zh": zh, "message_en": en, **extra})

    def _discard(self) -> None:
        """Forget everything about the subject: nothing unaccepted outlives its session."""
        self._binding: Binding | None = None
        self._stills: list[Frame] = []
        self._chosen: StillChoice | None = None
        self._product: Product | None = None
        self._retakes_used = 0
        self._streak = 0
        self._last_guidance = None
        self._liveness.reset()
        self._last_landmarks: np.ndarray | None = None
        self._light_refusals = 0
        self._light_blocked = False
        self._light_hint_until = 0.0
        self._liveness_record: dict[str, Any] | None = None
        self._light_refused_cues: dict[str, Any] | None = None
        self._light_overrides: list[dict[str, Any]] = []
        self._light_accepted = False  # the operator accepted this subject as live
        light = getattr(self, "_light", None)
        if light is not None:
            light.cancel()

    def _fail(self, exc: Exception) -> None:
        try:
            self._discard()
            if self.state != S.FAILSAFE:
                self._go("fault", error=type(exc).__name__, **_explained(exc))
            if self._settings.timeouts.failsafe_s <= 0:
                self._go("recovered")
        except Exception:
            # The table or a listener is broken beyond the failsafe; start over from a fresh table.
            log.exception("session failsafe could not recover normally; resetting")
            self._held = None
            was = self.state
            self._chart = self._new_chart()
            self._discard()
            self._publish(TRANSITION, "reset", was, S.IDLE, {})

    def _end_countdown(self) -> None:
        """At the countdown's end: shoot, or back to guiding when liveness or the light challenge
        says no; the challenge's last frames may still be arriving for a short grace."""
        if self.state != S.COUNTDOWN or self._now() - self._entered_at < self._settings.countdown_s:
            return
        if not self._liveness.state().established:
            self._go("abort", reason="liveness")
            return
        late = self._now() - self._entered_at - self._settings.countdown_s
        if not self._light.done() and late < _LIGHT_GRACE_S:
            return
        if self._light_answer():
            self._go("shoot")

    # -- the chart's callbacks: transition actions, state work, guards (named in chart.py) ----------

    def on_transition(self) -> None:
        self._entered_at = self._now()
        self._last_notice = None

    def after_transition(self) -> None:
        # A camera outage is told again on every screen the subject sees, not only the one it began on.
        if self._camera_problem is not None:
            self._camera_notice()

    def begin_run(self) -> None:
        self._run_id = self._new_run_id()
        self._discard()

    def forget_subject(self) -> None:
        self._discard()

    def forget_binding(self) -> None:
        self._binding = None

    def fresh_guidance(self) -> None:
        self._streak = 0
        self._last_guidance = None

    def use_retake(self, payload: dict[str, Any]) -> None:
        self._retakes_used += 1
        self._product = None
        payload["retakes_left"] = self._retakes_left()  # what the screen offers after this one

    def on_enter_countdown(self) -> None:
        self._light.begin(self._last_landmarks)

    def on_exit_countdown(self, target: State) -> None:
        if target.value != S.CAPTURING:
            self._light.cancel()

    def on_enter_capturing(self) -> None:
        self._work(self._take_burst)

    def on_enter_choosing(self) -> None:
        self._work(self._choose)

    def on_enter_producing(self) -> None:
        self._work(self._produce)

    def on_enter_committing(self) -> None:
        self._work(self._commit)

    def store_ready(self) -> bool:
        problem = self._sink.unavailable()
        return problem is None or self._refuse("storage_unavailable", *problem)

    def capture_allowed(self, trigger: str = "auto") -> bool:
        if trigger == "auto":  # frames that passed with established liveness and no blocked challenge
            needed = self._settings.auto_capture_frames
            return needed > 0 and self._streak >= needed
        if not self._settings.button_capture:
            return False
        live = self._liveness.state()
        if self._last_guidance is None or not self._last_guidance["face"]:
            return self._refuse("capture_refused", "请先站到镜头前", "Please stand in front of the camera first")
        if not live.established:
            return self._refuse("capture_refused", live.reason_zh, live.reason_en, liveness=live.to_payload())
        if self._light_blocked:
            return self._refuse("capture_refused", *_LIGHT_STAFF, needs_operator=True)
        return True

    def override_allowed(self, action: str = "", reason: str = "") -> bool:
        """The operator may decide only on a refusal that is waiting: in guiding after a refused
        light challenge, with a reason; `retry` only once the subject's own tries are used up."""
        if not reason.strip():
            self._override_refused = ("请写明原因", "A reason is required")
        elif self._light_refusals == 0:
            self._override_refused = ("当前没有等待处理的活体检测拒绝",
                                      "No live-person refusal is waiting for a decision")
        elif action == "retry" and not self._light_blocked:
            self._override_refused = ("受检者还有一次尝试机会", "The subject still has a try left")
        elif action == "accept" and self._light_accepted:
            self._override_refused = ("已确认过", "Already accepted")
        else:
            return True
        return False

    def apply_override(self, entry: dict[str, Any], audit: Callable[[dict[str, Any]], float | None] | None = None,
                       ) -> None:
        """Audit first (an exception leaves the session as it was), then let the session go on."""
        if audit is not None:
            entry["at"] = audit(entry)
        self._light_overrides.append(safe_payload(entry))
        self._light_blocked = False
        if entry["action"] == "retry":
            self._light_refusals = max(self._light_attempts() - 1, 0)
        else:
            self._light_accepted = True
        self._light_hint_until = 0.0
        self.fresh_guidance()

    def product_passed(self) -> bool:
        return (self._product is not None and self._product.ok) or self._refuse(
            "accept_refused", "这张照片未通过检查，请重拍", "This photo did not pass the checks; please retake it")

    def retakes_remain(self) -> bool:
        return self._retakes_left() > 0 or self._refuse(
            "retake_refused", "重拍次数已用完，请联系工作人员", "No retakes left; please ask the staff for help")

    def _refuse(self, event: str, zh: str, en: str, **extra: Any) -> bool:
        """A guard's no, with the notice that tells the subject why (sent by `_ask`)."""
        self._refusal = (event, zh, en, extra)
        return False

    def waited_long_enough(self, now: float | None = None, min_s: float = 0.0) -> bool:
        return (self._now() if now is None else now) - self._entered_at >= min_s

    # -- the automatic states' work -------------------------------------------------------------

    def _take_burst(self) -> None:
        self._stills = list(self._still_source.capture_stills(self._settings.burst_size))
        if not self._stills:
            raise SessionFault("the camera returned no stills")
        self._go("captured", count=len(self._stills))

    def _choose(self) -> None:
        choice = self._picker.choose(self._stills)
        index = choice.position
        if not 0 <= index < len(self._stills) or choice.frame is not self._stills[index]:
            raise SessionFault(f"still picker chose {index} of {len(self._stills)}")
        self._chosen = choice
        self._stills = []
        self._go("chosen", index=index, frame=choice.frame.index, reason=choice.reason)

    def _produce(self) -> None:
        assert self._chosen is not None and self._binding is not None
        product = self._producer.produce(self._chosen.frame.main)
        # the photo's record says which frame became the still and why
        product = dataclasses.replace(product, report={**product.report, "still": self._chosen.to_payload()})
        self._product = self._with_liveness(self._vetted(product))
        self._chosen = None
        self._go("produced", **self._product_payload(self._product))

    def _commit(self) -> None:
        assert self._binding is not None and self._product is not None
        receipt = self._sink.commit(self._binding, self._product)
        self._product = None
        self._receipt = receipt
        self._go("committed", receipt=receipt)

    # -- per-input behaviour --------------------------------------------------------------------

    def _on_frame(self, frame: Frame) -> None:
        work = self._frame_work.get(self.state)
        if work is not None:
            work(frame)

    def _evaluate(self, frame: Frame) -> None:
        self._guide_frame(self._guide.evaluate(frame))

    def _scan(self, frame: Frame) -> None:
        result = self._reader.read(frame)
        if result is None:
            return
        if isinstance(result, CodeRejected):
            self._notice("code_rejected", result.reason_zh, result.reason_en)
            return
        self._binding = result
        self._go("code_read", identity=self._masked_identity())

    def _on_login(self, student_number: str, id_number: str, outcome: list[CodeRejected]) -> None:
        if "code_read" not in events_leaving(self.state):
            outcome.append(CodeRejected("请先按“开始”，再用学号登录", "Press Start first, then log in"))
            return
        result = self._reader.login(student_number, id_number)
        if isinstance(result, CodeRejected):
            outcome.append(result)
            return
        self._binding = result
        self._go("code_read", identity=self._masked_identity(), login=True)

    def _guide_frame(self, guidance: Guidance) -> None:
        live = self._liveness.update(guidance.landmarks, self._now(), guidance.spoof_score)
        if guidance.landmarks is not None:
            self._last_landmarks = guidance.landmarks
        passed = guidance.passed and live.established and not self._light_blocked
        self._streak = self._streak + 1 if passed else 0
        if guidance.passed and not live.established:
            message = (live.reason_zh, live.reason_en)
        elif guidance.passed and self._light_blocked:
            message = _LIGHT_STAFF
        elif guidance.passed and self._now() < self._light_hint_until:
            message = _LIGHT_RETRY
        else:
            message = (guidance.message_zh, guidance.message_en)
        needed = self._settings.auto_capture_frames
        self._last_guidance = {
            "passed": passed,
            "message_zh": message[0],
            "message_en": message[1],
            "streak": self._streak,
            "needed": needed,
            "face": guidance.landmarks is not None,
            "checks": safe_payload(guidance.checks),
            "liveness": live.to_payload(),
        }
        state = self.state
        self._publish(GUIDANCE, "frame", state, state, self._last_guidance)
        # The chart knows where each applies: losing liveness ends a countdown, a streak starts one.
        if not live.established:
            self._ask("abort", {"reason": "liveness"})
        else:
            self._ask("ready", self._countdown_payload("auto"), trigger="auto")

    def _countdown_payload(self, trigger: str) -> dict[str, Any]:
        """The countdown's start: its length and the last second's message, where the lens is."""
        zh, en = lens_hint(self._settings.lens_position)
        return {"trigger": trigger, "seconds": self._settings.countdown_s, "lens_zh": zh, "lens_en": en}

    def _on_button(self) -> None:
        self._request(BUTTON_EVENTS.get(self.state), "button")

    def _on_web_action(self, name: str) -> None:
        self._request(SCREEN_EVENTS[name].get(self.state), "screen")

    def _cancel(self, by: str) -> None:
        self._request("cancel", by)

    def _request(self, event: str | None, by: str) -> None:
        """Ask the chart for what an input means here, with the payload the screen sees and the
        arguments its guard weighs."""
        if event == "ready":
            self._ask(event, self._countdown_payload("button"), trigger="button")
        elif event == "finished":
            self._ask(event, min_s=RECEIPT_MIN_S)
        elif event == "cancel":
            self._ask(event, {"by": by})
        elif event is not None:
            self._ask(event)

    def _on_tick(self, now: float | None) -> None:
        timed = TIMED_STATES.get(self.state)
        if timed is None:
            return
        event, setting = timed
        payload = {"state": str(self.state)} if event == "timeout" else {}
        self._ask(event, payload, now=self._now() if now is None else now,
                  min_s=getattr(self._settings.timeouts, setting))

    def _on_camera_lost(self, reason: str) -> None:
        self._camera_problem = reason
        self._camera_notice()
        if self.state not in AT_REST:
            raise SessionFault(f"camera lost: {reason}")

    def _camera_notice(self) -> None:
        self._notice(
            "camera_lost", "摄像头暂时不可用，正在重新连接", "The camera is unavailable; reconnecting",
            reason=self._camera_problem,
        )

    def _on_camera_restored(self) -> None:
        if self._camera_problem is None:
            return
        self._camera_problem = None
        self._notice("camera_restored", "摄像头已恢复", "The camera is working again")

    # -- the product and the light challenge -------------------------------------------------------

    def _vetted(self, product: Product) -> Product:
        """A passing product the store would refuse for this subject (its bytes are already another
        student's) is shown as failed, without its picture, so the subject retakes instead of
        accepting a photo that cannot be theirs."""
        if not product.ok or product.jpeg is None:
            return product
        assert self._binding is not None
        refusal = self._sink.refusal(self._binding, product)
        if refusal is None:
            return product
        return Product(False, None, *refusal, report={**product.report, "refusal": "photo_conflict"})

    def _light_answer(self) -> bool:
        """Decide on the light challenge at the countdown's end; False = back to guiding.

        A refusal is never silent: the subject is told why and may try once more (`attempts`), the
        operator gets every cue in a notice, and after the last attempt the session waits in
        guiding for the staff instead of ending."""
        outcome = self._light.finish()
        self._liveness_record = {"light": outcome.cues | {"status": outcome.status},
                                 "video": self._liveness.state().to_payload(),
                                 "single_frame": self._single_frame_cues()}
        if self._light_overrides:
            self._liveness_record["override"] = list(self._light_overrides)
        if outcome.status in ("live", "skipped"):
            return True
        if self._light_accepted:
            self._liveness_record["light"]["accepted_by"] = "operator"
            return True
        if outcome.status == "unmeasured":
            self._go("abort", reason="light_unmeasured")
            self._notice("light_unmeasured", outcome.reason_zh, outcome.reason_en, light=outcome.cues)
            return False
        self._light_refusals += 1
        self._light_refused_cues = safe_payload(self._liveness_record)
        attempts = self._light_attempts()
        self._light_blocked = self._light_refusals >= attempts
        self._go("abort", reason="light_challenge")
        zh, en = _LIGHT_STAFF if self._light_blocked else _LIGHT_RETRY
        self._light_hint_until = self._now() + _LIGHT_HINT_S
        self._notice("liveness_refused", zh, en, operator=True, needs_operator=self._light_blocked,
                     refusals=self._light_refusals, attempts=attempts, cues=self._liveness_record)
        measured = {k: outcome.cues.get(k) for k in ("response", "fit", "lag_s", "shading", "relief", "frames")}
        log.warning("session %s: light challenge refused (%d of %d): %s %s", self._run_id, self._light_refusals,
                    attempts, outcome.cues.get("failed"), measured)
        return False


    def _light_attempts(self) -> int:
        return int(self._settings.liveness.light.attempts)

    def _single_frame_cues(self) -> dict[str, Any] | None:
        checks = (self._last_guidance or {}).get("checks") or []
        for check in checks:
            if isinstance(check, dict) and check.get("id") == LIVENESS.id:
                return {"spoof_score": check.get("value"), "threshold": check.get("threshold"),
                        "passed": check.get("passed"), "cues": check.get("detail")}
        return None

    def _with_liveness(self, product: Product) -> Product:
        """Every cue's value goes into the session's record with the photo's report."""
        if self._liveness_record is None:
            return product
        return dataclasses.replace(product, report={**product.report, "liveness": self._liveness_record})

    # -- helpers --------------------------------------------------------------------------------

    def _retakes_left(self) -> int:
        return max(self._settings.retake_limit - self._retakes_used, 0)

    def _masked_identity(self) -> MaskedIdentity | None:
        if self._binding is None:
            return None
        identity: MaskedIdentity = {
            "capture_code": mask_code(self._binding.capture_code),
            "name": mask_name(self._binding.name),
            "id_number": mask_id_number(self._binding.id_number),
        }
        # A binding may know of an earlier photo of this student (the store said so): the screen
        # then asks "already captured - retake?" before the subject confirms.
        prior = getattr(self._binding, "prior_capture", None)
        if prior is not None:
            identity["already_captured_at"] = str(prior.captured_at)
            identity["prior_confirmed"] = "yes" if prior.server_confirmed else "no"
        return identity

    def _product_payload(self, product: Product) -> dict[str, Any]:
        return {
            "ok": product.ok,
            "reason_zh": product.reason_zh,
            "reason_en": product.reason_en,
            "report": product.report,
            "retakes_left": self._retakes_left(),
            "can_accept": product.ok,
            "can_retake": self._retakes_left() > 0,
        }
