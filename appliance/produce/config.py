"""Settings of the production step: which collection spec (preset) a photo is made for.

A preset is everything a collector fixes about the file: pixel size, where the crown, eyes and face
land, the background colours it accepts and the file-size window. The CHSI graduation photo is the
default (numbers from ../shared/SPEC.md §2); other collectors differ in size, colour and bytes, so
they are presets too rather than code paths. Ranges are in output pixels of that preset.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

BackgroundName = Literal["blue", "white", "grey"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PixelRange(_Section):
    """Allowed interval and the value aimed at; the aim sits inside the interval."""

    low: float
    high: float
    target: float

    @model_validator(mode="after")
    def _ordered(self) -> PixelRange:
        if not self.low <= self.target <= self.high:
            raise ValueError(f"need low <= target <= high, got {self.low}, {self.target}, {self.high}")
        return self

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


class PhotoSpec(_Section):
    label_zh: str
    label_en: str
    width: int = Field(ge=100, le=2000)
    height: int = Field(ge=100, le=2000)
    crown_y: PixelRange  # top of the hair, from the top edge
    eye_y: PixelRange  # line through the eye centres, from the top edge
    face_width: PixelRange  # cheek to cheek
    # Crown to chin, for specs that give the head's length rather than trusting the face width.
    head_length: PixelRange | None = None
    centre_tolerance: float = Field(ge=1, le=200)  # |face centre x - width/2|
    backgrounds: tuple[BackgroundName, ...] = ("blue", "white", "grey")
    default_background: BackgroundName = "blue"
    min_kb: float = Field(ge=1, le=5000)
    max_kb: float = Field(ge=1, le=5000)
    dpi: int = Field(300, ge=72, le=1200)

    @model_validator(mode="after")
    def _consistent(self) -> PhotoSpec:
        if self.min_kb >= self.max_kb:
            raise ValueError("min_kb must be below max_kb")
        if self.default_background not in self.backgrounds:
            raise ValueError("default_background must be one of backgrounds")
        return self


CHSI_GRADUATION = PhotoSpec(
    label_zh="学信网毕业照",
    label_en="CHSI graduation photo",
    width=480,
    height=640,
    crown_y=PixelRange(low=50, high=110, target=80),
    eye_y=PixelRange(low=200, high=300, target=250),
    face_width=PixelRange(low=180, high=300, target=240),
    centre_tolerance=24,
    backgrounds=("blue", "white", "grey"),
    default_background="blue",
    min_kb=30,
    max_kb=60,
)

# NCRE (全国计算机等级考试) registration photo as collectors publish it: 360x480 px, white only,
# 20-100 KB, head (crown to chin) 300-354 px. Crown, eye and cheek ranges are derived from that
# head length with ordinary face proportions, so they are looser than the published numbers.
EXAM_NCRE = PhotoSpec(
    label_zh="全国计算机等级考试报名照",
    label_en="NCRE exam registration photo",
    width=360,
    height=480,
    crown_y=PixelRange(low=15, high=70, target=40),
    eye_y=PixelRange(low=165, high=230, target=195),
    face_width=PixelRange(low=160, high=250, target=205),
    head_length=PixelRange(low=300, high=354, target=327),
    centre_tolerance=18,
    backgrounds=("white",),
    default_background="white",
    min_kb=20,
    max_kb=100,
)

PRESETS: dict[str, PhotoSpec] = {"chsi": CHSI_GRADUATION, "exam_ncre": EXAM_NCRE}


class MatteSettings(_Section):
    # Guided filter radius as a share of the face width, and its regularisation (image in 0..1).
    guided_radius_ratio: float = Field(0.035, ge=0.005, le=0.2)
    guided_eps: float = Field(1e-4, ge=1e-6, le=1e-1)
    # Difference from the calibrated empty backdrop (0..255 colour distance) that means "person".
    backdrop_low: float = Field(12.0, ge=1.0, le=200.0)
    backdrop_high: float = Field(40.0, ge=2.0, le=255.0)


class ProduceSettings(_Section):
    preset: str = "chsi"
    # A source face may be enlarged at most this much: beyond it the photo turns soft.
    max_upscale: float = Field(1.15, ge=1.0, le=1.5)
    # Share of each range kept free when placing the face, so small measurement noise stays inside.
    placement_margin: float = Field(0.15, ge=0.0, le=0.45)
    # Bottom row of the photo: at least this share of it must be the person (shoulders reach it).
    min_shoulder_fill: float = Field(0.35, ge=0.0, le=1.0)
    # Share of the product that may show the source's border extended where the person continues
    # beyond it (a corner of the jacket after levelling); more than that is refused as cut off.
    max_filled_share: float = Field(0.01, ge=0.0, le=0.05)
    min_quality: int = Field(60, ge=60, le=95)
    max_quality: int = Field(95, ge=60, le=100)
    matte: MatteSettings = MatteSettings()
    presets: dict[str, PhotoSpec] = Field(default_factory=lambda: dict(PRESETS))

    @model_validator(mode="after")
    def _known_preset(self) -> ProduceSettings:
        if self.preset not in self.presets:
            raise ValueError(f"preset must be one of {', '.join(sorted(self.presets))}")
        if self.min_quality > self.max_quality:
            raise ValueError("min_quality must not exceed max_quality")
        return self

    def spec(self, name: str | None = None) -> PhotoSpec:
        return self.presets[name or self.preset]
