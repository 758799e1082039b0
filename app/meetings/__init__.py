"""Meetings: when they happen, who is invited to which seat, and who has answered."""
