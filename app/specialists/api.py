"""API for app.specialists (routes on the shared /api/v1 blueprint)."""
