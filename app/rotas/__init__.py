"""On-call rotas: who covers a discipline when, fairly shared, with cover swaps."""
