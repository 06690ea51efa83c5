"""The countdown's start carries its last message: where the lens is, from the booth's settings."""

from __future__ import annotations

import pytest

from appliance.session.lens import lens_hint
from appliance.testing.session_fakes import make_booth


def countdown_start(booth):
    return next(e for e in booth.events if e.kind == "transition" and e.event == "ready")


@pytest.mark.parametrize("position", ["above", "left"])
def test_countdown_names_where_the_lens_is(position):
    booth = make_booth(lens_position=position)
    booth.to_guiding()
    booth.frames_until(lambda: booth.machine.state == "countdown")
    payload = countdown_start(booth).payload
    assert (payload["lens_zh"], payload["lens_en"]) == lens_hint(position)
    assert payload["seconds"] == booth.machine_settings.countdown_s and payload["trigger"] == "auto"


def test_each_position_points_somewhere_different():
    hints = {lens_hint(p)[0] for p in ("above", "below", "left", "right")}
    assert len(hints) == 4 and all("镜头" in h for h in hints)


def test_an_unknown_lens_position_is_refused():
    from pydantic import ValidationError

    from appliance.session.config import SessionSettings

    with pytest.raises(ValidationError):
        SessionSettings.model_validate({"lens_position": "behind"})
