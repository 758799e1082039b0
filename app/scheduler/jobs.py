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
    JobSpec("licence-expiry-warnings", "app.specialists.jobs:warn_expiring_licences", timedelta(hours=1),
            "Warn specialists and their coordinators 30 days before a licence expires"),
)


def job_by_id(job_id: str) -> JobSpec:
    for spec in JOBS:
        if spec.id == job_id:
            return spec
    raise KeyError(job_id)
