"""The scheduler process: recurring jobs on plain intervals, one scheduler per deployment."""
