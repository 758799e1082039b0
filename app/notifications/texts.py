"""What a notification says, rendered when it is read or sent: in the recipient's language and zone.

A notification is stored as data (its kind and parameters: instants as ISO 8601 UTC, dates, codes,
names); `render` turns it into a subject and a body with the catalogues in app/translations.
Parameters are formatted by their name: `*_at` instants (in the reader's zone, the zone named),
`*_on` dates, `country` (ISO 3166 code), `discipline`/`disciplines` (codes), `state`/`urgency` (codes),
`days_left` (a number of days), `*_days` and `factor` (decimal numbers), anything else as given.
Plain Python (no Flask).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date

from babel.support import NullTranslations, Translations

from app.timekeeping import (
    country_name_for_reader,
    format_day_for_reader,
    format_for_reader,
    format_days_ahead_for_reader,
    parse_instant,
    reader_locale,
)
from app.vocabulary import N_, discipline_text, label_text

TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations")

# text key -> (subject, body). The key is params["text"], else the notification's kind.
MESSAGES = {
    "meeting.invitation": (N_("Invitation: %(title)s, %(starts_at)s"),
                           N_("Please accept, decline or answer tentative.")),
    "meeting.invitation.seat": (N_("Invitation for the %(discipline)s seat: %(title)s, %(starts_at)s"),
                                N_("Please accept, decline or answer tentative.")),
    "meeting.cancelled": (N_("Cancelled: %(title)s, %(starts_at)s"), N_("%(reason)s")),
    "meeting.rescheduled": (N_("Moved: %(title)s, now %(starts_at)s"),
                            N_("It was at %(previous_at)s. Please answer the invitation again.")),
    "meeting.invitation_withdrawn": (N_("Invitation withdrawn: %(title)s, %(starts_at)s"),
                                     N_("You are no longer expected at this meeting.")),
    "meeting.declined": (N_("%(name)s declined: %(title)s, %(starts_at)s"),
                         N_("No note was given.")),
    "meeting.declined.note": (N_("%(name)s declined: %(title)s, %(starts_at)s"), N_("Note: %(note)s")),
    "meeting.reminder": (N_("Reminder: %(title)s at %(starts_at)s"), N_("Starts %(starts_at_utc)s.")),
    "meeting.agenda": (N_("Agenda: %(title)s, %(starts_at)s"), N_("Cases on the agenda: %(count)s.")),
    "meeting.quorum_at_risk": (N_("Quorum %(state)s: %(title)s at %(starts_at)s"),
                               N_("Not yet confirmed: %(disciplines)s.")),
    "case.late": (N_("Case #%(case_id)s (%(urgency)s) is past its target %(target_at)s"), N_("It is %(state)s.")),
    "case.no_slot": (N_("No meeting time for case #%(case_id)s before its target %(target_at)s"),
                     N_("No time fits every needed discipline and the referrer. %(requirements)s.")),
    "case.no_slot.earliest": (N_("No meeting time for case #%(case_id)s before its target %(target_at)s"),
                              N_("No time fits every needed discipline and the referrer. %(requirements)s. "
                                 "The earliest possible time is %(earliest_at)s.")),
    "outcome_signed": (N_("MDT outcome signed for case #%(case_id)s"),
                       N_("The board's recommendation for your referral has been signed by every required "
                          "discipline. Open the case to read it.")),
    "outcome_signed.amended": (N_("Amended MDT outcome (version %(version)s) signed for case #%(case_id)s"),
                               N_("The board's recommendation for your referral has been signed by every "
                                  "required discipline. Open the case to read it.")),
    "outcome_signed.letter": (N_("MDT outcome signed for case #%(case_id)s"),
                              N_("The board's recommendation for your referral has been signed by every required "
                                 "discipline. The outcome letter (PDF) is attached to the case; open the link to "
                                 "read it.")),
    "outcome_signed.amended.letter": (N_("Amended MDT outcome (version %(version)s) signed for case #%(case_id)s"),
                                      N_("The board amended its recommendation for your referral and every required "
                                         "discipline has signed it. The new outcome letter (PDF) is attached to the "
                                         "case; open the link to read it.")),
    # What the board did with a referral, told to its referrer (app.cases.referrer_updates).
    "case.triaged": (N_("Case #%(case_id)s accepted for discussion"),
                     N_("The board accepted your referral for discussion. You will be told when it is on a "
                        "meeting's agenda.")),
    "case.returned": (N_("Case #%(case_id)s returned to you"),
                      N_("The board's coordinator returned your referral with this note: %(reason)s. Complete "
                         "the pro-forma and submit it again.")),
    "case.listed_not_discussed": (N_("Case #%(case_id)s will not be discussed: standard of care applies"),
                                  N_("The board's coordinator listed your referral without discussion, for this "
                                     "reason: %(reason)s.")),
    "case.scheduled": (N_("Case #%(case_id)s will be discussed on %(starts_at)s"),
                       N_("Your referral is on the agenda of %(title)s, which starts %(starts_at)s.")),
    "case.unscheduled": (N_("Case #%(case_id)s was taken off a meeting's agenda"),
                         N_("The board's coordinator took your referral off the agenda, for this reason: "
                            "%(reason)s. It will be put on another meeting; you will be told when.")),
    "case.unscheduled.not_discussed": (
        N_("Case #%(case_id)s was not discussed at its meeting"),
        N_("The meeting ended before your referral was discussed, and no later meeting of the board has room "
           "for it yet. It waits for the next one; you will be told when it is on an agenda.")),
    "case.discussed": (N_("Case #%(case_id)s has been discussed"),
                       N_("The board discussed your referral. You will be told when its outcome is signed, with "
                          "the outcome letter.")),
    "licence_expiring.own": (N_("Your licence in %(country)s expires %(days_left)s, on %(expires_on)s"),
                             N_("Licence %(jurisdiction)s %(number)s (%(country)s) of %(name)s is valid through "
                                "%(expires_on)s (%(zone)s), %(days_left)s. After that it no longer counts for "
                                "cases in %(country)s. Record the renewed licence so a coordinator can verify it.")),
    "licence_expiring.other": (N_("%(name)s's licence in %(country)s expires %(days_left)s, on %(expires_on)s"),
                               N_("Licence %(jurisdiction)s %(number)s (%(country)s) of %(name)s is valid through "
                                  "%(expires_on)s (%(zone)s), %(days_left)s. After that it no longer counts for "
                                  "cases in %(country)s. Record the renewed licence so a coordinator can verify "
                                  "it.")),
    "account.invitation": (N_("You are invited to Meridian: choose your password"),
                           N_("%(name)s, an administrator has opened a Meridian account for you. Open the link "
                              "below to choose your password, then sign in. The link works once, until "
                              "%(expires_at)s.")),
    "account.password_reset": (N_("Meridian: choose a new password"),
                               N_("%(name)s, an administrator has reset your Meridian password. Open the link "
                                  "below to choose a new one, then sign in. The link works once, until "
                                  "%(expires_at)s.")),
    "licence.rejected": (N_("Your licence %(number)s in %(country)s was not verified"),
                         N_("The reason given: %(note)s. Correct the licence or record another so it can be "
                            "checked again.")),
    "reports.unequal_wait": (N_("Cases from %(site)s wait longer: a median of %(site_median_days)s days to "
                                "discussion against the network's %(network_median_days)s"),
                             N_("From %(period_from_on)s to %(period_to_on)s, cases from %(site)s (%(country)s) waited "
                                "a median of %(site_median_days)s days from submission to discussion (%(site_cases)s "
                                "discussed), the network %(network_median_days)s days: more than %(factor)s times as "
                                "long. The reports show the site's waits beside the others'.")),
    "rota.published": (N_("Your shifts on the %(rota)s rota are published"),
                       N_("New on-call shifts on the %(rota)s rota are published, the first of yours from "
                          "%(shift_starts_at)s. See them on your shifts page.")),
    "rota.cover.requested": (N_("%(requester)s asks for cover on the %(rota)s rota"),
                             N_("%(requester)s needs someone to take their on-call shift from %(shift_starts_at)s "
                                "to %(shift_ends_at)s. Reason: %(reason)s")),
    "rota.cover.accepted": (N_("%(coverer)s will cover your %(rota)s shift, pending approval"),
                            N_("%(coverer)s accepted your cover request for the shift from %(shift_starts_at)s to "
                               "%(shift_ends_at)s. A coordinator still has to approve it; until then the shift "
                               "stays yours.")),
    "rota.cover.approved.requester": (N_("Cover approved: %(coverer)s takes your %(rota)s shift"),
                                      N_("Your on-call shift from %(shift_starts_at)s to %(shift_ends_at)s is now "
                                         "covered by %(coverer)s. You are no longer on call for it.")),
    "rota.cover.approved.coverer": (N_("You are now on call for %(rota)s"),
                                    N_("You cover %(requester)s's on-call shift from %(shift_starts_at)s to "
                                       "%(shift_ends_at)s.")),
    "rota.cover.rejected": (N_("Cover on the %(rota)s rota was not approved"),
                            N_("%(coordinator)s did not approve the cover for %(requester)s's shift from "
                               "%(shift_starts_at)s to %(shift_ends_at)s; it stays with %(requester)s.")),
    "rota.cover.rejected.reason": (N_("Cover on the %(rota)s rota was not approved"),
                                   N_("%(coordinator)s did not approve the cover for %(requester)s's shift from "
                                      "%(shift_starts_at)s to %(shift_ends_at)s; it stays with %(requester)s. "
                                      "Reason: %(reason)s")),
    "rota.cover.withdrawn": (N_("%(requester)s no longer needs cover"),
                             N_("%(requester)s withdrew the cover request for the shift from %(shift_starts_at)s "
                                "to %(shift_ends_at)s that you had accepted.")),
}
# Free text a caller gave (and rows written before notifications were stored as data): shown as
# written, with any instants in it ("{at_1}") still shown in the reader's zone and language.
STORED_TEXT = "stored"
# A meeting's call (`call`: an external link, or a Meridian path to the live page), added to any text.
JOIN_THE_CALL = N_("Join the call: %(call)s")
REQUIREMENT = N_("%(discipline)s: %(available)s of %(candidates)s available")
TODAY = N_("today")
LIST_SEPARATOR = N_(", ")

_TRANSLATIONS: dict[str, NullTranslations] = {}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def translations(locale_code: str | None) -> NullTranslations:
    code = locale_code or "en"
    if code not in _TRANSLATIONS:
        _TRANSLATIONS[code] = Translations.load(TRANSLATIONS_DIR, [code])
    return _TRANSLATIONS[code]


def render(kind: str, params: dict | None, *, locale: str | None, zone: str, base_url: str = "") -> Rendered:
    """`base_url` makes a Meridian path in `call` a full address (e-mails)."""
    params = dict(params or {})
    key = params.pop("text", kind)
    call = params.pop("call", None)
    t = translations(locale)
    if key == STORED_TEXT:
        rendered = Rendered(_fill_instants(params.get("subject", ""), params, locale, zone),
                            _fill_instants(params.get("body", ""), params, locale, zone))
    else:
        subject, body = MESSAGES.get(key, (kind, ""))
        values = {name: _shown(name, value, t, locale, zone) for name, value in params.items()}
        rendered = Rendered(_fill(t.gettext(subject), values), _fill(t.gettext(body), values) if body else "")
    if call:
        address = base_url.rstrip("/") + call if call.startswith("/") else call
        line = _fill(t.gettext(JOIN_THE_CALL), {"call": address})
        rendered = Rendered(rendered.subject, f"{rendered.body}\n{line}" if rendered.body else line)
    return rendered


class _Missing(dict):
    def __missing__(self, name):
        return "%(" + name + ")s"


def _fill(template: str, values: dict) -> str:
    return template % _Missing(values)


def _fill_instants(text: str, params: dict, locale, zone) -> str:
    return re.sub(r"\{(at_\d+)\}", lambda m: _shown(m.group(1), params.get(m.group(1), ""), None, locale, zone)
                  if params.get(m.group(1)) else m.group(0), text or "")


def _shown(name: str, value, t, locale: str | None, zone: str) -> str:
    t = t or translations(locale)
    if value is None:
        return ""
    if name.endswith("_at_utc"):
        return format_for_reader(parse_instant(value), "UTC", locale)
    if name.endswith("_at") or name.startswith("at_"):
        return format_for_reader(parse_instant(value), zone, locale)
    if name.endswith("_on"):
        return format_day_for_reader(date.fromisoformat(value), locale)
    if name == "country":
        return country_name_for_reader(value, locale)
    if name == "discipline":
        return t.gettext(discipline_text(value) or value)
    if name == "disciplines":
        return t.gettext(LIST_SEPARATOR).join(t.gettext(discipline_text(code) or code) for code in value)
    if name in ("state", "urgency"):
        return t.gettext(label_text(value) or value)
    if name.endswith("_days") or name == "factor":
        from babel.numbers import format_decimal

        return format_decimal(value, format="#,##0.##", locale=reader_locale(locale))
    if name == "days_left":
        return t.gettext(TODAY) if int(value) == 0 else format_days_ahead_for_reader(int(value), locale)
    if name == "requirements":
        return "; ".join(_fill(t.gettext(REQUIREMENT), {
            "discipline": t.gettext(discipline_text(r["discipline"]) or r["discipline"]),
            "available": r["available"], "candidates": r["candidates"]}) for r in value)
    if name == "zone":
        from app.timekeeping import zone_name_for_reader

        return zone_name_for_reader(value, locale)
    return str(value)


def recipient_locale(user, default: str = "en") -> str:
    """The language a person reads notifications in: their saved choice, else the first of their
    languages Meridian has a catalogue for, else the deployment's default."""
    from app.i18n import LOCALES

    if getattr(user, "locale", None) in LOCALES:
        return user.locale
    for code in getattr(user, "languages", None) or []:
        if code in LOCALES:
            return code
    return default
