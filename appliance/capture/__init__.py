"""The booth's hardware: camera, button and LED ring, each behind a small interface.

Every device has a real implementation and a development one; which one is used is decided by the
settings alone (`build_camera`, `build_button`, `build_ring`), and asking for real hardware that is
missing is an error, never a quiet switch to a fake.
"""
