"""The photo-rule checks: one module per family, each a function of an Analysis and the settings.

Checks are data: every one returns CheckResults (id, family, measured value, threshold, passed,
guidance in Chinese and English), and the same list drives live guidance and the final verdict.
"""
