"""The session's states and the transitions between them, as one declarative table.

Kept free of behaviour (no callbacks, no ports) so the whole flow can be read, drawn and checked in
one place; `SessionMachine` decides which event to send and does the work of each state.
"""

from __future__ import annotations

from statemachine import State, StateMachine


class BoothChart(StateMachine):
    idle = State(initial=True)
    scanning = State()
    confirming = State()
    guiding = State()
    countdown = State()
    capturing = State()
    choosing = State()
    producing = State()
    reviewing = State()
    committing = State()
    done = State()
    failsafe = State()

    start = idle.to(scanning) | done.to(scanning)
    code_read = scanning.to(confirming)
    rescan = confirming.to(scanning)
    confirmed = confirming.to(guiding)
    ready = guiding.to(countdown)
    abort = countdown.to(guiding)
    shoot = countdown.to(capturing)
    captured = capturing.to(choosing)
    chosen = choosing.to(producing)
    produced = producing.to(reviewing)
    retake = reviewing.to(guiding)
    accepted = reviewing.to(committing)
    committed = committing.to(done)
    finished = done.to(idle)
    cancel = idle.from_(scanning, confirming, guiding, countdown, reviewing)
    timeout = idle.from_(scanning, confirming, guiding, countdown, reviewing)
    fault = failsafe.from_(
        idle, scanning, confirming, guiding, countdown, capturing, choosing, producing, reviewing,
        committing, done,
    )
    recovered = failsafe.to(idle)


# States that the subject can leave by waiting too long, with their timeout setting's name.
TIMED_STATES = {
    "scanning": "scanning_s",
    "confirming": "confirming_s",
    "guiding": "guiding_s",
    "reviewing": "reviewing_s",
}
