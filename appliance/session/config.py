"""Settings of the booth's session: how a capture is triggered, how long each step may wait, and
how sure the booth must be that a live person (not a print or a screen) is in front of it.

Bounds keep a collection unit's edits sensible: a countdown of 60 s or a burst of 100 stills would
make the booth unusable rather than merely different.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from appliance.session.lens import LensPosition


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StateTimeouts(_Section):
    """Seconds a state may wait for the subject before the session is abandoned (back to idle)."""

    scanning_s: float = Field(60.0, ge=5.0, le=600.0)
    confirming_s: float = Field(30.0, ge=5.0, le=600.0)
    guiding_s: float = Field(90.0, ge=10.0, le=900.0)
    reviewing_s: float = Field(60.0, ge=5.0, le=600.0)
    # The receipt stays on screen until the next student starts or the button is pressed, or at
    # most this long (its QR opens the student's status page: not left for a stranger forever).
    done_s: float = Field(300.0, ge=1.0, le=3600.0)
    # The error notice stays on screen this long before the booth recovers to idle.
    failsafe_s: float = Field(3.0, ge=0.0, le=60.0)


class LightChallengeSettings(_Section):
    """The ring's light challenge during the countdown (appliance/session/light_response.py).

    Defaults were set with scripts/bench_liveness.py's physical simulator, not on real attacks;
    docs/liveness.md says how to measure them on a booth.
    """

    enabled: bool = True
    # Steps of the random sequence and the length of each; at 15 fps a step spans 2-3 frames.
    steps: int = Field(6, ge=3, le=12)
    step_min_s: float = Field(0.12, ge=0.05, le=1.0)
    step_max_s: float = Field(0.2, ge=0.05, le=1.0)
    # After the countdown begins: time for the exposure lock to take effect and the base level to be
    # seen; after the last step: frames still arriving with the camera's latency.
    lead_s: float = Field(0.35, ge=0.0, le=2.0)
    tail_s: float = Field(0.3, ge=0.0, le=2.0)
    # Camera output is gamma-encoded; a power law undoes it well enough for ratios.
    gamma: float = Field(2.2, ge=1.0, le=3.0)
    # Exposure time assumed when the camera cannot report its own (development sources).
    assumed_exposure_s: float = Field(0.02, ge=0.0, le=0.2)
    # Window of camera latency (light change to frame timestamp) the answer must arrive in.
    min_lag_s: float = Field(0.0, ge=0.0, le=1.0)
    max_lag_s: float = Field(0.25, ge=0.02, le=1.0)
    lag_step_s: float = Field(0.01, ge=0.002, le=0.1)
    min_frames: int = Field(8, ge=4, le=200)
    min_regions: int = Field(8, ge=4, le=30)
    # Median share of each face region's light that follows the ring (screens emit their own).
    min_response: float = Field(0.3, ge=0.0, le=1.0)
    # The same in the weakest colour channel, when the ring's steps vary its colour (an RGB ring):
    # skin answers every channel of the ring, a screen's own picture none.
    min_channel_response: float = Field(0.15, ge=0.0, le=1.0)
    # Share of the regions' change explained by the played sequence at the best lag.
    min_fit: float = Field(0.6, ge=0.0, le=1.0)
    # The face's relief in the one-side steps, in units of tan(ring_angle_deg) (prints give ~0.1-0.3;
    # simulated faces 0.35-1.07 at p5-p95 over a ring of 5-16 degrees: set ring_angle_deg to the booth's).
    min_shading: float = Field(0.25, ge=-1.0, le=5.0)
    # The same beyond anything smooth across the image (a curled print): see light_response._shading.
    min_relief: float = Field(0.08, ge=-1.0, le=5.0)
    require_shading: bool = True
    # Angle between the lens axis and each half of the ring as seen from the face (radius / distance).
    ring_angle_deg: float = Field(12.0, ge=2.0, le=45.0)
    # Challenges a subject may fail before the operator is called (the first refusal is one more try).
    attempts: int = Field(2, ge=1, le=5)

    @model_validator(mode="after")
    def _check_steps(self) -> LightChallengeSettings:
        if self.step_min_s > self.step_max_s:
            raise ValueError("step_min_s must not exceed step_max_s")
        if self.min_lag_s >= self.max_lag_s:
            raise ValueError("min_lag_s must be below max_lag_s")
        return self


class LivenessSettings(_Section):
    """Evidence over video that a live, three-dimensional person is in front of the camera."""

    # Off only for the demo source (a still portrait is flat by nature); the screen says so.
    required: bool = True
    require_blink: bool = True
    require_depth: bool = True
    # Eye-opening ratio must fall this fraction below the subject's open-eye level to count as closed.
    blink_drop: float = Field(0.5, ge=0.1, le=0.8)
    # A natural blink lasts ~0.1-0.4 s; an eye closed longer is a deliberate squint or a swapped print.
    blink_max_s: float = Field(0.6, ge=0.1, le=2.0)
    # Homography residual explained by landmark depth, as a fraction of the inter-ocular distance.
    min_parallax_ratio: float = Field(0.006, ge=0.001, le=0.2)
    # Share of the homography residual explained by landmark depth: noise alone explains ~0.005
    # with 468 points; defaults tuned with scripts/bench_liveness.py.
    min_depth_r2: float = Field(0.05, ge=0.01, le=0.99)
    # Frame pairs that must show depth parallax before motion counts as three-dimensional.
    min_depth_pairs: int = Field(2, ge=1, le=30)
    # Single-frame presentation-attack score (0 live .. 1 spoof) above which liveness is refused.
    max_spoof_score: float = Field(0.5, ge=0.05, le=1.0)
    # Face missing this many consecutive frames (or jumping across the frame) starts the evidence over.
    max_missing_frames: int = Field(5, ge=1, le=60)
    history_frames: int = Field(45, ge=10, le=300)
    light: LightChallengeSettings = LightChallengeSettings()


class SessionSettings(_Section):
    """One subject's walk through the booth, from capture code to committed photo."""

    # Shoot automatically after this many consecutive frames that pass every check (0 = never).
    auto_capture_frames: int = Field(7, ge=0, le=120)
    button_capture: bool = True
    countdown_s: float = Field(3.0, ge=0.0, le=10.0)
    # Where the camera's lens sits relative to the subject's screen: the countdown's last message
    # tells the student to look there (students otherwise look at the screen, off the lens).
    lens_position: LensPosition = "above"
    burst_size: int = Field(3, ge=1, le=10)
    # Retakes after the first attempt; the subject sees the result each time.
    retake_limit: int = Field(3, ge=0, le=20)
    # Ticks the driver gives the machine when no frame arrives, so timeouts fire on a dead camera too.
    tick_interval_s: float = Field(0.1, ge=0.01, le=1.0)
    # Upper bound on frames analysed per second; a camera that returns at once is not spun on.
    max_fps: float = Field(30.0, ge=1.0, le=120.0)
    timeouts: StateTimeouts = StateTimeouts()
    liveness: LivenessSettings = LivenessSettings()
