"""The in-app inbox (and e-mail when SMTP is configured). One row per notification, keyed so a
job that runs twice never sends twice."""
