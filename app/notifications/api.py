"""API for app.notifications (routes on the shared /api/v1 blueprint)."""
