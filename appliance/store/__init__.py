"""Durable local store of accepted photos, check reports and the upload queue."""
