"""API for app.cases (routes on the shared /api/v1 blueprint)."""
