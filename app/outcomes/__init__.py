"""MDT outcomes: the recommendation for a case, signed by the disciplines present; immutable once signed."""
