"""The chart is the single truth of the session's flow: its states are the exported StrEnum, its
guards are answered by the machine, and the bus hears each state before that state's work starts."""

from __future__ import annotations

from appliance.session.chart import (
    BUTTON_EVENTS,
    SCREEN_EVENTS,
    TIMED_STATES,
    BoothChart,
    SessionState,
    events_leaving,
)
from appliance.session.config import StateTimeouts
from appliance.session.events import TRANSITION
from appliance.session.machine import SessionMachine
from appliance.testing.session_fakes import make_booth


def test_every_enum_state_is_in_the_chart_and_every_chart_state_in_the_enum() -> None:
    chart_values = [state.value for state in BoothChart.states]
    assert len(chart_values) == len(set(chart_values))
    assert set(chart_values) == set(SessionState)
    assert all(isinstance(value, SessionState) for value in chart_values)
    # The attribute name of each state is its wire name, so `on_enter_<name>` callbacks match it.
    assert {state.id for state in BoothChart.states} == {str(state) for state in SessionState}


def test_state_names_are_the_wire_format() -> None:
    assert [str(state) for state in SessionState] == [
        "idle", "scanning", "confirming", "guiding", "countdown", "capturing", "choosing", "producing",
        "reviewing", "committing", "done", "failsafe",
    ]


def test_input_tables_name_only_events_and_states_of_the_chart() -> None:
    events = {event.id for event in BoothChart.events}
    tables = [BUTTON_EVENTS, *SCREEN_EVENTS.values(), {state: event for state, (event, _) in TIMED_STATES.items()}]
    for table in tables:
        for state, event in table.items():
            assert state in SessionState and event in events


def test_every_timed_state_has_its_timeout_setting() -> None:
    assert {setting for _, setting in TIMED_STATES.values()} == set(StateTimeouts.model_fields)


def test_every_input_table_entry_leaves_its_state_in_the_chart() -> None:
    # "cancel" is asked everywhere on purpose; the chart refuses it where it does not apply.
    tables = [BUTTON_EVENTS, *(SCREEN_EVENTS[name] for name in ("start", "accept", "retake")),
              {state: event for state, (event, _) in TIMED_STATES.items()}]
    sources = {(str(state.value), str(event)) for state in BoothChart.states
               for transition in state.transitions for event in transition.events}
    for table in tables:
        for state, event in table.items():
            assert (str(state), event) in sources, f"{event} is asked in {state} but does not leave it"


def test_every_guard_and_action_the_chart_names_is_answered_by_the_machine() -> None:
    # The library resolves these names only when a transition is first tried: check them all now.
    named = {spec.func for state in BoothChart.states for transition in state.transitions
             for spec in transition._specs if not spec.is_convention}
    assert {"store_ready", "capture_allowed", "product_passed", "retakes_remain"} <= named
    missing = sorted(name for name in named if not callable(getattr(SessionMachine, name, None)))
    assert not missing, f"the chart names callbacks the machine lacks: {missing}"


def test_the_machine_reports_its_state_as_the_enum() -> None:
    booth = make_booth()
    assert booth.machine.state is SessionState.IDLE
    booth.machine.button_pressed()
    assert booth.machine.state is SessionState.SCANNING and booth.machine.state == "scanning"


def test_the_bus_hears_capturing_before_the_burst_is_taken() -> None:
    # The ring flashes on the capturing event: the burst must come after it, not before.
    booth = make_booth()
    heard_before_burst: list[str] = []
    original = booth.stills.capture_stills

    def burst(n: int):
        heard_before_burst.extend(e.target for e in booth.events if e.kind == TRANSITION)
        return original(n)

    booth.stills.capture_stills = burst
    booth.to_guiding()
    booth.to_reviewing()
    assert heard_before_burst[-1] == "capturing"
    targets = [target for _, target in booth.transitions()]
    assert targets[-5:] == ["countdown", "capturing", "choosing", "producing", "reviewing"]


def test_a_failing_state_work_enters_the_failsafe_from_that_state() -> None:
    booth = make_booth()
    booth.stills.fail = OSError("sensor gone")
    booth.to_guiding()
    booth.frames_until(lambda: booth.machine.state == "countdown")
    booth.tick(booth.machine_settings.countdown_s + 0.01)
    fault = [e for e in booth.events if e.event == "fault"][-1]
    assert (fault.source, fault.target) == ("capturing", "failsafe")
    seqs = [e.seq for e in booth.events]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


def test_a_refused_guard_changes_nothing_and_says_why_once() -> None:
    booth = make_booth(verdicts=[False])
    booth.to_guiding()
    booth.to_reviewing()
    before = booth.transitions()
    booth.machine.button_pressed()
    booth.machine.web_action("accept")
    assert booth.machine.state == "reviewing" and booth.transitions() == before
    assert booth.notices().count("accept_refused") == 1


def test_events_leaving_reads_the_chart() -> None:
    assert events_leaving(SessionState.IDLE) == {"start", "fault"}
    assert events_leaving(SessionState.GUIDING) == {"ready", "cancel", "timeout", "fault", "override"}
    assert events_leaving(SessionState.FAILSAFE) == {"recovered"}
    for state in SessionState:
        assert all(event in {e.id for e in BoothChart.events} for event in events_leaving(state))
