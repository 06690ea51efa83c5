"""Graduation-photo capture booth."""

__version__ = "0.1.0"
