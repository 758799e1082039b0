"""What every mapping function needs to know about the request, without Flask."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app.audit.operations import record as audit
from app.cases import visibility


@dataclass
class Context:
    session: Session
    actor: object  # the signed-in User
    at: datetime  # "now", for licence validity, notice and the like
    source_address: str | None = None
    _viewer: visibility.Viewer | None = field(default=None, repr=False)

    @property
    def viewer(self) -> visibility.Viewer:
        """The actor's facts for case visibility, gathered once per request."""
        if self._viewer is None:
            self._viewer = visibility.viewer_facts(self.session, self.actor)
        return self._viewer

    def audit(self, action: str, *, target_type: str, target_id, detail: dict | None = None) -> None:
        audit(self.session, action, actor=self.actor, target_type=target_type, target_id=target_id,
              source_address=self.source_address, detail={**(detail or {}), "via": "fhir"})
