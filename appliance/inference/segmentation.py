"""Person segmentation (selfie_segmentation): where the subject ends and the background begins.

The background, clothing and production steps all need the silhouette; one mask per image is
computed at the model's 256x256 and resized to the image only where a caller asks for it.
"""

from __future__ import annotations

import cv2
import numpy as np

from appliance.inference.runtime import TFLiteModel

SEG_INPUT = 256


class PersonSegmenter:
    def __init__(self, model: TFLiteModel) -> None:
        self.model = model

    def run(self, rgb: np.ndarray) -> np.ndarray:
        """Probability (0..1, float32) that each pixel belongs to the person, at image size."""
        height, width = rgb.shape[:2]
        # the person's outline, not fine detail, is what the model reads; a two-step reduction
        # (halving with area averaging, then linear) avoids aliasing at a tenth of INTER_AREA's cost
        small = rgb
        while min(small.shape[:2]) >= 4 * SEG_INPUT:
            small = cv2.pyrDown(small)
        small = cv2.resize(small, (SEG_INPUT, SEG_INPUT), interpolation=cv2.INTER_LINEAR)
        (mask,) = self.model.run((small.astype(np.float32) / 255.0)[None])
        mask = np.clip(mask.reshape(SEG_INPUT, SEG_INPUT), 0.0, 1.0).astype(np.float32)
        return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
