"""What every page's frame needs: navigation for the viewer's roles, their zone, the unread count."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.live.events import REPLAY_PAGE_MAX
from app.notifications.operations import unread_count
from app.security import current_actor
from app.web import web

COORDINATING = ("coordinator", "admin")


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: str

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    @property
    def current(self) -> bool:
        return request.endpoint == self.endpoint


def nav_links(user) -> list[NavLink]:
    """The pages a person's roles open to them, in the order they use them."""
    links = [NavLink("web.home", _l("Home"))]
    if user.has_role("specialist"):
        links += [NavLink("web.schedule", _l("My schedule")), NavLink("web.availability", _l("Working hours")),
                  NavLink("web.licences", _l("Licences")), NavLink("web.calendar_feed_page", _l("Calendar feed"))]
    if user.has_role("specialist"):  # their on-call shifts and the cover colleagues need
        links.append(NavLink("web.my_shifts", _l("My shifts")))
    if user.has_role("referrer"):
        links += [NavLink("web.case_list", _l("My site's cases")), NavLink("web.new_case", _l("New referral"))]
    if user.has_role(*COORDINATING):
        links += [NavLink("web.coordinator_dashboard", _l("Dashboard")), NavLink("web.case_board", _l("Case board")),
                  NavLink("web.meetings_list", _l("Meetings")), NavLink("web.time_search", _l("Time search")),
                  NavLink("web.rota_grid", _l("Rotas"))]
        # The coordinator's workspace: boards and the specialists directory.
        links += [NavLink("web.boards_list", _l("Boards")), NavLink("web.specialists_directory", _l("Specialists"))]
        links += [NavLink("web.reports", _l("Reports"))]
    # Running the network (app.web.admin_views): coordinators verify licences and onboard specialists too.
    if user.has_role(*COORDINATING):
        links += [NavLink("web.admin_licences", _l("Licence checks")), NavLink("web.admin_onboarding", _l("Onboarding"))]
    if user.has_role("admin"):
        links += [NavLink("web.admin_users", _l("People")), NavLink("web.admin_sites", _l("Sites")),
                  NavLink("web.admin_disciplines", _l("Disciplines"))]
    return links


@web.app_context_processor
def page_frame():
    """Available to every template (also error pages); empty for someone not signed in."""
    try:
        user = current_actor()
    except RuntimeError:  # outside a request
        user = None
    if user is None:
        return {"nav": [], "viewer_zone": None, "unread": 0}
    return {"nav": nav_links(user), "viewer_zone": user.timezone,
            "unread": unread_count(db.session, user.id), "live_replay_page": REPLAY_PAGE_MAX}
