"""The recurring jobs. Each is `job(session, at)`: plain Python, idempotent, safe to run late or twice.

Jobs run on plain intervals and work out what is due from the database at `at` (a UTC instant), so
a missed run is caught up by the next one, and a second run finds nothing left to do.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import timedelta

@dataclass(frozen=True)
class JobSpec:
    id: str
    target: str  # "module:function"
    every: timedelta
    description: str

    def load(self):
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


JOBS: tuple[JobSpec, ...] = (
    JobSpec("create-meetings-ahead", "app.boards.jobs:create_meetings_ahead", timedelta(hours=1),
            "Create each board's meetings for the coming weeks from its recurrence"),
    JobSpec("finish-past-meetings", "app.meetings.agenda:finish_past_meetings", timedelta(minutes=5),
            "Finish meetings whose time is over and roll undiscussed cases to the next meeting"),
    JobSpec("fill-agendas", "app.meetings.agenda:fill_agendas", timedelta(minutes=10),
            "Put triaged cases on the next meeting of their board with room"),
    JobSpec("schedule-urgent-cases", "app.meetings.jobs:schedule_urgent_cases", timedelta(minutes=10),
            "Book ad-hoc meetings for cases whose board meets too late for their target"),
    JobSpec("send-invitations", "app.meetings.jobs:send_invitations", timedelta(minutes=10),
            "Invite people for every seat not yet held in the coming three weeks"),
    JobSpec("circulate-agendas", "app.meetings.jobs:circulate_agendas", timedelta(minutes=5),
            "Send each meeting's agenda at its cut-off"),
    JobSpec("send-reminders", "app.meetings.jobs:send_reminders", timedelta(minutes=1),
            "Remind participants 24 hours and 15 minutes before a meeting, in their own time zone"),
    JobSpec("alert-at-risk-quorum", "app.meetings.jobs:alert_at_risk_quorum", timedelta(minutes=15),
            "Alert coordinators 48 hours before a meeting whose quorum is not met"),
    JobSpec("alert-late-cases", "app.meetings.jobs:alert_late_cases", timedelta(hours=1),
            "Tell coordinators about cases past their target date"),
    JobSpec("send-emails", "app.scheduler.mail:send_emails", timedelta(minutes=1),
            "E-mail each new notification once (logged when SMTP is not configured)"),
    JobSpec("licence-expiry-warnings", "app.specialists.jobs:warn_expiring_licences", timedelta(hours=1),
            "Warn specialists and their coordinators 30 days before a licence expires"),
    JobSpec("alert-unequal-waits", "app.reports.jobs:alert_unequal_waits", timedelta(hours=6),
            "Tell coordinators about sites whose cases waited much longer than the network's last month"),
    JobSpec("purge-expired-data", "app.dataprotection.jobs:purge_expired_data", timedelta(days=1),
            "Erase finished cases past their site's retention period, and old live events (flask retention purge)"),
    JobSpec("verify-audit-trail", "app.audit.jobs:verify_audit_trail", timedelta(days=1),
            "Check the audit trail's hash chain; fail naming where it is broken (flask audit verify)"),
)


def job_by_id(job_id: str) -> JobSpec:
    for spec in JOBS:
        if spec.id == job_id:
            return spec
    raise KeyError(job_id)
