"""Unattended operation: systemd readiness and watchdog, settings and database recovery.

The booth is switched on in the morning and left alone; everything here exists so that a hang, a
bad settings edit or a damaged database ends in a restart or a logged recovery, not a dead screen.
"""
