"""API for app.rotas (routes on the shared /api/v1 blueprint)."""
