"""The session's states, transitions and guards, as one declarative table: the single truth of the flow.

Everything that decides *whether* the session moves is here: which event leaves which state, under
which named condition (a guard), and which inputs ask for which event in which state. The work of a
state (reading codes, taking the burst, producing, committing) lives in `SessionMachine`'s
`on_enter_*` / `on_exit_*` callbacks, and the guards and transition actions named here are methods
of the same object, handed to the chart as a listener; the event bus is another listener. State
names are the wire format (screens, events JSON, the console and the tests read them), so they are
a `StrEnum` whose values never change.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache

from statemachine import State, StateMachine


class SessionState(StrEnum):
    IDLE = "idle"
    SCANNING = "scanning"
    CONFIRMING = "confirming"
    GUIDING = "guiding"
    COUNTDOWN = "countdown"
    CAPTURING = "capturing"
    CHOOSING = "choosing"
    PRODUCING = "producing"
    REVIEWING = "reviewing"
    COMMITTING = "committing"
    DONE = "done"
    FAILSAFE = "failsafe"


S = SessionState


class BoothChart(StateMachine):
    """Guards (`cond=`) and transition actions (`on=`) are named here and resolved on the listener
    that `SessionMachine` registers; an event a state does not accept, or whose guard says no, raises
    `TransitionNotAllowed`, which the machine turns into "nothing happens" or the guard's notice."""

    idle = State(value=S.IDLE, initial=True)
    scanning = State(value=S.SCANNING)
    confirming = State(value=S.CONFIRMING)
    guiding = State(value=S.GUIDING)
    countdown = State(value=S.COUNTDOWN)
    capturing = State(value=S.CAPTURING)
    choosing = State(value=S.CHOOSING)
    producing = State(value=S.PRODUCING)
    reviewing = State(value=S.REVIEWING)
    committing = State(value=S.COMMITTING)
    done = State(value=S.DONE)
    failsafe = State(value=S.FAILSAFE)

    # A new run only while the store can take its photo; the run's id is drawn before anyone hears of it.
    start = (idle.to(scanning, cond="store_ready", on="begin_run")
             | done.to(scanning, cond="store_ready", on="begin_run"))
    code_read = scanning.to(confirming)
    rescan = confirming.to(scanning, on="forget_binding")
    confirmed = confirming.to(guiding, on="fresh_guidance")
    # The countdown starts on a streak of passing frames (trigger "auto"), or on the subject's button
    # with a face, established liveness and no refused light challenge waiting for the staff.
    ready = guiding.to(countdown, cond="capture_allowed")
    abort = countdown.to(guiding, on="fresh_guidance")
    shoot = countdown.to(capturing)
    captured = capturing.to(choosing)
    chosen = choosing.to(producing)
    produced = producing.to(reviewing)
    retake = reviewing.to(guiding, cond="retakes_remain", on=["use_retake", "fresh_guidance"])
    accepted = reviewing.to(committing, cond="product_passed")
    committed = committing.to(done)
    finished = done.to(idle, cond="waited_long_enough", on="forget_subject")
    cancel = idle.from_(scanning, confirming, guiding, countdown, reviewing, on="forget_subject")
    timeout = idle.from_(scanning, confirming, guiding, countdown, reviewing, cond="waited_long_enough",
                         on="forget_subject")
    fault = failsafe.from_(
        idle, scanning, confirming, guiding, countdown, capturing, choosing, producing, reviewing,
        committing, done,
    )
    recovered = failsafe.to(idle, cond="waited_long_enough", on="forget_subject")


@cache
def events_leaving(state: SessionState) -> frozenset[str]:
    """The events that have a transition out of `state`, guarded or not, read from the chart once; an
    input asking for any other event there is answered without running the chart."""
    chart_state = next(candidate for candidate in BoothChart.states if candidate.value == state)
    return frozenset(str(event) for transition in chart_state.transitions for event in transition.events)


# What the subject's button asks for in each state (a press elsewhere means nothing: a bounce or an
# impatient second press is harmless); the chart's guards decide whether it happens.
BUTTON_EVENTS: dict[SessionState, str] = {
    S.IDLE: "start",
    S.DONE: "finished",  # the student has read the receipt: clear it for the next one
    S.CONFIRMING: "confirmed",
    S.GUIDING: "ready",
    S.REVIEWING: "accepted",
}

# What each screen action asks for in each state; "cancel" is asked everywhere, the chart knows where
# it may be taken.
SCREEN_EVENTS: dict[str, dict[SessionState, str]] = {
    "start": {S.IDLE: "start", S.DONE: "start"},
    "accept": {S.CONFIRMING: "confirmed", S.REVIEWING: "accepted"},
    "retake": {S.CONFIRMING: "rescan", S.REVIEWING: "retake"},
    "cancel": dict.fromkeys(SessionState, "cancel"),
}

# States left by waiting: the event the clock sends and the name of its timeout setting.
TIMED_STATES: dict[SessionState, tuple[str, str]] = {
    S.SCANNING: ("timeout", "scanning_s"),
    S.CONFIRMING: ("timeout", "confirming_s"),
    S.GUIDING: ("timeout", "guiding_s"),
    S.REVIEWING: ("timeout", "reviewing_s"),
    S.DONE: ("finished", "done_s"),
    S.FAILSAFE: ("recovered", "failsafe_s"),
}

# No attempt is under way in these: losing the camera there abandons nothing.
AT_REST = frozenset({S.IDLE, S.DONE, S.FAILSAFE})
# The face is watched live in these (guidance, liveness, the light challenge).
LIVE_TRACKED = frozenset({S.GUIDING, S.COUNTDOWN})
