"""Settings of the inference runtime, and the checks' section assembled from the check modules.

Each `checks/<family>.py` keeps its settings model beside its code (the thresholds of its rules,
with their defaults from ../shared/SPEC.md and the bounds a collection unit may reasonably set, so
a typo such as yaw 50 instead of 5 is refused rather than silently accepting every photo). The
tree below only names them under their `[checks.<key>]` section; tests/test_rule_catalogue.py holds
it equal to the modules that registry.py lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from appliance.inference.checks.accessories import AccessoriesSettings
from appliance.inference.checks.background import BACKGROUND_RGB, BackgroundSettings
from appliance.inference.checks.clothing import ClothingSettings
from appliance.inference.checks.clothing_pattern import ClothingPatternSettings
from appliance.inference.checks.eye_colour import EyeColourSettings
from appliance.inference.checks.eyes import EyesSettings
from appliance.inference.checks.face_count import FaceCountSettings
from appliance.inference.checks.gaze import GazeSettings
from appliance.inference.checks.geometry import GeometrySettings
from appliance.inference.checks.glasses import GlassesSettings
from appliance.inference.checks.headwear import HeadwearSettings
from appliance.inference.checks.lighting import LightingSettings
from appliance.inference.checks.liveness import LivenessSettings
from appliance.inference.checks.makeup import MakeupSettings
from appliance.inference.checks.mouth import MouthSettings
from appliance.inference.checks.neckline import NecklineSettings
from appliance.inference.checks.occlusion import OcclusionSettings
from appliance.inference.checks.pose import PoseSettings
from appliance.inference.checks.sharpness import SharpnessSettings

__all__ = ["BACKGROUND_RGB", "ChecksSettings", "RuntimeSettings"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuntimeSettings(_Section):
    threads: int = Field(1, ge=1, le=8)
    # OpenCV's worker threads for the image operations around the models (crops, colour, filters);
    # None leaves OpenCV's own default (one per core). The pool is process-wide: 1 keeps the whole
    # analysis on one core, as `threads` does for the models; on a shared or loaded machine the
    # idle workers' waiting also costs CPU (about 10% of a live frame here).
    image_threads: int | None = Field(None, ge=1, le=8)
    backend: Literal["auto", "litert", "tflite-runtime"] = "auto"
    models_dir: Path = Path("models")
    max_image_pixels: int = Field(60_000_000, ge=1_000_000, le=400_000_000)
    max_file_bytes: int = Field(80_000_000, ge=100_000, le=1_000_000_000)


class ChecksSettings(_Section):
    face_count: FaceCountSettings = FaceCountSettings()
    geometry: GeometrySettings = GeometrySettings()
    pose: PoseSettings = PoseSettings()
    eyes: EyesSettings = EyesSettings()
    mouth: MouthSettings = MouthSettings()
    headwear: HeadwearSettings = HeadwearSettings()
    glasses: GlassesSettings = GlassesSettings()
    occlusion: OcclusionSettings = OcclusionSettings()
    lighting: LightingSettings = LightingSettings()
    sharpness: SharpnessSettings = SharpnessSettings()
    background: BackgroundSettings = BackgroundSettings()
    clothing: ClothingSettings = ClothingSettings()
    liveness: LivenessSettings = LivenessSettings()
    gaze: GazeSettings = GazeSettings()
    eye_colour: EyeColourSettings = EyeColourSettings()
    makeup: MakeupSettings = MakeupSettings()
    accessories: AccessoriesSettings = AccessoriesSettings()
    clothing_pattern: ClothingPatternSettings = ClothingPatternSettings()
    neckline: NecklineSettings = NecklineSettings()
