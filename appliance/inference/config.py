"""Settings of the inference runtime and the thresholds of every check.

Defaults are the numbers of ../shared/SPEC.md; the bounds are what a collection unit may reasonably
set, so a typo (yaw 50 instead of 5) is refused rather than silently accepting every photo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from appliance.inference.checks.accessories import AccessoriesSettings
from appliance.inference.checks.clothing_pattern import ClothingPatternSettings
from appliance.inference.checks.eye_colour import EyeColourSettings
from appliance.inference.checks.gaze import GazeSettings
from appliance.inference.checks.makeup import MakeupSettings
from appliance.inference.checks.neckline import NecklineSettings


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuntimeSettings(_Section):
    threads: int = Field(1, ge=1, le=8)
    backend: Literal["auto", "litert", "tflite-runtime"] = "auto"
    models_dir: Path = Path("models")
    max_image_pixels: int = Field(60_000_000, ge=1_000_000, le=400_000_000)
    max_file_bytes: int = Field(80_000_000, ge=100_000, le=1_000_000_000)


class FaceCountSettings(_Section):
    min_score: float = Field(0.6, ge=0.3, le=0.95)
    # A second face smaller than this fraction of the main one (a poster behind the subject) is
    # still a second face; below it, it is detector noise.
    min_relative_size: float = Field(0.25, ge=0.05, le=1.0)


class GeometrySettings(_Section):
    # Head must leave room above it for the crown margin and below it for the shoulders.
    min_top_margin_ratio: float = Field(0.25, ge=0.0, le=1.0)
    min_bottom_margin_ratio: float = Field(0.6, ge=0.0, le=3.0)
    min_side_margin_ratio: float = Field(0.3, ge=0.0, le=2.0)
    # Shoulder line against the eye line, where both shoulders are in view ("左右肩膀平衡").
    max_shoulder_tilt_deg: float = Field(8.0, ge=1.0, le=30.0)


class PoseSettings(_Section):
    # The limits applied, printed and returned are these values themselves. SPEC §3 asks for
    # |yaw| <= 5 and |pitch| <= 5 degrees; the landmark model's yaw/pitch scatter on frontal faces
    # (about 3 degrees in yaw; pitch also depends on camera height, about 7) is part of the value,
    # so a frame is refused only when the head is beyond 5 degrees by more than that scatter.
    max_yaw_deg: float = Field(8.0, ge=1.0, le=30.0)
    max_pitch_deg: float = Field(12.0, ge=1.0, le=30.0)
    max_roll_deg: float = Field(3.0, ge=0.5, le=20.0)
    # The mesh's forehead-to-chin line leans toward the camera on a level head by about this much.
    pitch_neutral_deg: float = Field(4.5, ge=-20.0, le=20.0)
    # A capture is levelled automatically up to this roll; the produced photo must meet max_roll_deg.
    auto_level_max_deg: float = Field(8.0, ge=0.0, le=20.0)


class EyesSettings(_Section):
    # Smaller eye opening / eye-midpoint-to-chin distance (the OFIQ EyesOpen measure).
    # Measured on the iris model's eyelid contour; open eyes read 0.045-0.09 on frontal photos.
    min_open_ratio: float = Field(0.04, ge=0.005, le=0.1)


class MouthSettings(_Section):
    # Lip gap / eye-midpoint-to-chin distance (the OFIQ MouthClosed measure).
    max_open_ratio: float = Field(0.035, ge=0.005, le=0.3)
    max_teeth_fraction: float = Field(0.03, ge=0.0, le=1.0)
    # Mouth corners above the lips' centre (a smile), per eye-to-chin distance.
    max_smile: float = Field(0.025, ge=0.0, le=0.2)


class HeadwearSettings(_Section):
    # Share of the crown that is coloured material unlike skin and hair, scaled down by how much of
    # both sides of the head the same kind of material covers (a headscarf framing the face, SPEC
    # §3; see checks/headwear.py). Good frontal photos read at most 0.05, dyed burgundy hair 0.36;
    # caps and hats 0.5-0.9.
    max_cover_score: float = Field(0.3, ge=0.05, le=1.0)


class GlassesSettings(_Section):
    max_tint: float = Field(0.7, ge=0.05, le=1.0)
    max_reflection_fraction: float = Field(0.06, ge=0.0, le=1.0)
    # Share of a lens, outside the eye opening, under thin bright traces (a ring light's arc).
    # Photos without glare read up to ~0.14 (a frame's shine); a 2 px ring-light arc 0.23 or more.
    max_glare_share: float = Field(0.18, ge=0.0, le=1.0)


class OcclusionSettings(_Section):
    # Share of the band above the brows that does not look like the subject's skin. Frontal
    # photos with hair swept back read up to ~0.77 (shadow and skin texture), fringes 0.8-1.0.
    max_brow_cover: float = Field(0.8, ge=0.05, le=1.0)
    # Share of the rows beside each cheek at ear height (eye line to nose tip) where the person
    # continues but no ear skin shows (hair over the ear); the worse side counts. On
    # ../shared/faces visible ears read up to ~0.55 (hair worn behind them included), hair worn
    # down over them 0.7-1.0.
    check_ears: bool = True
    max_ear_cover: float = Field(0.65, ge=0.05, le=1.0)


class LightingSettings(_Section):
    min_face_luma: float = Field(70.0, ge=0.0, le=255.0)
    # With no face found, a frame this dark (mean luma) is reported as a lighting failure.
    min_frame_luma: float = Field(40.0, ge=0.0, le=255.0)
    max_face_luma: float = Field(215.0, ge=0.0, le=255.0)
    max_side_imbalance: float = Field(0.45, ge=0.05, le=1.0)
    max_highlight_fraction: float = Field(0.08, ge=0.0, le=1.0)
    max_clipped_fraction: float = Field(0.1, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _minimum_below_maximum(self) -> LightingSettings:
        # A minimum at or above its maximum would refuse every face: no photo could ever pass.
        if self.min_face_luma >= self.max_face_luma:
            raise ValueError(
                f"面部最低亮度 ({self.min_face_luma:g}) 必须低于最高亮度 ({self.max_face_luma:g}) / "
                f"min_face_luma ({self.min_face_luma:g}) must be below max_face_luma ({self.max_face_luma:g})"
            )
        return self


class SharpnessSettings(_Section):
    # Crete-Roffet blur effect of the face at a fixed scale: 0 = sharp, 1 = fully blurred.
    max_blur: float = Field(0.6, ge=0.05, le=1.0)
    # Fine detail of the face at a 100 px width: finest structure against coarse edges. Sharp
    # faces read >= 0.13, faces enlarged from 40-50 px a median 0.08-0.125
    # (scripts/sharpness_study.py).
    min_detail: float = Field(0.1, ge=0.0, le=1.0)
    # The one resolution rule (check `resolution`, also the production step's size refusal): the
    # source face's cheek-to-cheek width in source pixels. The CHSI photo's smallest face width
    # (180 px, 189 px inside the placement margin) reached with at most 1.15x enlargement
    # (produce.max_upscale) needs 164 px; below that the photo would be an upscale (SPEC §3).
    min_face_width_px: int = Field(165, ge=16, le=600)


class BackgroundSettings(_Section):
    # Spread (std of luma) of the background around the head in a capture; the booth replaces
    # the background, so this only asks for what segmentation can separate cleanly.
    max_capture_clutter: float = Field(40.0, ge=1.0, le=128.0)
    # In a produced photo: distance of the background from the reference colour, and its spread.
    max_product_delta: float = Field(12.0, ge=1.0, le=128.0)
    max_product_spread: float = Field(6.0, ge=0.5, le=64.0)
    color: Literal["blue", "white", "grey"] = "blue"


BACKGROUND_RGB = {"blue": (100, 197, 255), "white": (255, 255, 255), "grey": (240, 240, 240)}


class ClothingSettings(_Section):
    # Clothing pixels closer than this to the preset's background colour merge with it, in the
    # product's background colour distance (checks/background.py colour_distance: 8-bit RGB,
    # 0-441, the unit of background.max_product_delta). On the blue preset, of the clothing's
    # pixels the closest fifth of a top recoloured light blue lies within 45-51; of a real
    # light-blue top 40-98; of every other top on ../shared/dress and faces/a_good_frontal
    # (137) beyond 89 (a plaid shirt), of plain ones beyond 101.
    close_distance: float = Field(80.0, ge=1.0, le=441.0)
    # Share of the clothing that close. A print, shading or a colour cast keeps much of a real
    # light-blue top away from the backdrop's colour (a printed tee reads 0.2-0.5); a white shirt
    # front between a dark suit's lapels on the white preset reads 0.10-0.12 and must pass.
    max_close_fraction: float = Field(0.2, ge=0.0, le=1.0)


class LivenessSettings(_Section):
    # Single-frame evidence only (a print or phone framing the head on all four sides, strong
    # moire); lower values catch more recaptures but also reject real subjects photographed in
    # front of door frames and shelves. The live session adds video liveness on top.
    max_spoof_score: float = Field(0.85, ge=0.05, le=1.0)


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
    # kept beside their checks' code (appliance/inference/checks/<module>.py)
    gaze: GazeSettings = GazeSettings()
    eye_colour: EyeColourSettings = EyeColourSettings()
    makeup: MakeupSettings = MakeupSettings()
    accessories: AccessoriesSettings = AccessoriesSettings()
    clothing_pattern: ClothingPatternSettings = ClothingPatternSettings()
    neckline: NecklineSettings = NecklineSettings()
