"""The photo-rule checks: one module per family, each a function of an Analysis and the settings.

Checks are data: every one returns CheckResults (id, family, measured value, threshold, passed,
guidance in Chinese and English), and the same list drives live guidance and the final verdict.
Each rule is declared once, in its family's module beside its measure and its settings model
(vocabulary in rules.py); registry.py assembles the engine's checks from the modules. Where a
rule lives and how to add one: docs/rules.md.
"""
