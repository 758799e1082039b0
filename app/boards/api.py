"""API for app.boards (routes on the shared /api/v1 blueprint)."""
