"""Data protection: export, erasure and retention of patient data (see operations.py)."""
