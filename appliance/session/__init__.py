"""The booth's session: states from capture code to committed photo, their events, and liveness."""
