"""Binding a photo to exactly one student: capture-code decoding, validation and the roster.

The session builds one CodeBinder (see binder.py) from the `codes` settings and calls
`bind(payload, session_code, roster)` for each scanned code or `login(...)` for student-number login.
"""
