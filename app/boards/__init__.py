"""MDT boards: recurring meetings in the host's wall-clock time, a quorum of disciplines, members."""
