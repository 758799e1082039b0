"""Quality and equity reports: waits, shares, quorum, load and follow-up, computed in SQL."""
