"""On-device face analysis: TFLite models, landmarks, and the photo-rule checks."""
