"""A believable demo network, for trying Meridian out."""
