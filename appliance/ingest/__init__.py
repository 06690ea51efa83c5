"""The collection server (`appliance serve-ingest`): receives signed uploads from booths."""
