"""Private iCalendar feeds of a person's meetings and on-call shifts (never patient data)."""
