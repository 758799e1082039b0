"""Specialists: disciplines, working hours, leave, date overrides and licences."""
