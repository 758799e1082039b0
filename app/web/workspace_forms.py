"""Forms of the coordinator's workspace: a board's settings, a meeting's time, cancelling, inviting,
and the specialists directory's filters. Rows of a board's quorum and members are read by the view
(`quorum-<n>-…`, `member-<n>-…`), as many as the coordinator fills."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from app.outcomes.operations import AMENDMENT_REASON_LIMIT, AMENDMENT_REASON_MINIMUM
from app.web.forms import IsoDateField, choice

HH_MM = Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("Use a 24-hour time such as 14:00."))
REPLACE_DECLINE_CHOICES = (("manual", _l("Tell the coordinators; they replace the person in one click")),
                           ("automatic", _l("Invite the next eligible person at once")))


class BoardForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(_l("Enter the board's name.")), Length(max=200)])
    # Choices (organisations; weekdays in the reader's language) are set by the view.
    host_organization_id = SelectField(_l("Host organisation"), validate_choice=True)
    timezone = StringField(_l("Host time zone (IANA, e.g. Asia/Shanghai; empty: the host organisation's)"),
                           validators=[Optional(), Length(max=64)])
    weekday = SelectField(_l("Weekday (host's)"), validate_choice=True)
    start_time = StringField(_l("Start (host's wall clock, HH:MM)"),
                             validators=[InputRequired(_l("Enter the start time.")), HH_MM])
    duration_minutes = IntegerField(_l("Duration (minutes)"), default=120,
                                    validators=[InputRequired(_l("Enter the duration.")), NumberRange(15, 720)])
    interval_weeks = SelectField(_l("Recurrence"), choices=[choice("1", _l("Every week")),
                                                            choice("2", _l("Every other week"))],
                                 default="1", validate_choice=True)
    cases_per_meeting = IntegerField(_l("Cases per meeting (capacity)"), default=12,
                                     validators=[InputRequired(_l("Enter the capacity.")), NumberRange(1, 100)])
    minutes_per_case = IntegerField(_l("Minutes per case"), default=10,
                                    validators=[InputRequired(_l("Enter the minutes per case.")), NumberRange(1, 240)])
    agenda_cutoff_hours = IntegerField(_l("Agenda closes (hours before the start)"), default=24,
                                       validators=[InputRequired(_l("Enter the cut-off.")), NumberRange(0, 336)])
    replace_declines = SelectField(_l("When someone declines a seat"),
                                   choices=[choice(v, l) for v, l in REPLACE_DECLINE_CHOICES], default="manual",
                                   validate_choice=True)
    conference_url = StringField(_l("Call link (https://…; empty: none)"), validators=[Optional(), Length(max=500)])
    is_active = BooleanField(_l("Active (meets and takes cases)"), default=True)


class MeetingTimeForm(FlaskForm):
    """A time in the coordinator's own zone; used to create and to move a meeting."""

    date = IsoDateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))])
    start_time = StringField(_l("Start (HH:MM, your time)"),
                             validators=[InputRequired(_l("Enter the start time.")), HH_MM])
    duration_minutes = IntegerField(_l("Duration (minutes)"), default=60,
                                    validators=[InputRequired(_l("Enter the duration.")), NumberRange(15, 720)])


class NewMeetingForm(MeetingTimeForm):
    title = StringField(_l("Title"), validators=[InputRequired(_l("Enter a title.")), Length(max=200)])
    # Choices (boards the coordinator runs) are set by the view.
    board_id = SelectField(_l("Board (optional)"), default="", validate_choice=True)


class CancelMeetingForm(FlaskForm):
    reason = TextAreaField(_l("Reason (everyone invited reads it)"),
                           validators=[InputRequired(_l("Give a reason.")), Length(min=3, max=500)])


class InviteForm(FlaskForm):
    # The specialist by e-mail (suggested as one types); the disciplines' choices are set by the view.
    user_id = StringField(_l("Specialist (e-mail)"), validators=[InputRequired()])
    role = SelectField(_l("Role"), choices=[choice("seat", _l("Seat (a discipline's voice)")),
                                            choice("attendee", _l("Attendee")),
                                            choice("observer", _l("Observer"))],
                       default="seat", validate_choice=True)
    discipline = SelectField(_l("Discipline (for a seat)"), default="", validate_choice=True)
    # Shown once the person turns out to be outside their working hours: booking them needs a reason.
    override_working_hours = BooleanField(_l("Invite anyway"))
    override_reason = StringField(_l("Why outside their working hours"), validators=[Optional(), Length(max=500)])


class DirectoryForm(FlaskForm):
    """Filters of the specialists directory (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    discipline = SelectField(_l("Discipline"), default="", validate_choice=True)
    country = StringField(_l("Country of their site (e.g. CN)"),
                          validators=[Optional(), Regexp("^[A-Za-z]{2}$", message=_l("Use a two-letter country code."))])
    language = StringField(_l("Speaks (ISO 639-1, e.g. zh)"),
                           validators=[Optional(), Regexp("^[A-Za-z]{2}$", message=_l("Use a two-letter language code, e.g. en."))])
    licensed_in = StringField(_l("Licensed in (country code)"),
                              validators=[Optional(), Regexp("^[A-Za-z]{2}$", message=_l("Use a two-letter country code."))])
    on_call = BooleanField(_l("On call now"))


AMEND_REASON = _l("Say why the outcome is amended, in %(minimum)s to %(limit)s characters.",
                  minimum=AMENDMENT_REASON_MINIMUM, limit=AMENDMENT_REASON_LIMIT)


# An outcome's fields by name, as the audit trail names those an amendment changed
# (`outcomes.operations.amendment_audit_detail`); the staging symbols are the same in every language.
OUTCOME_FIELD_NAMES = {
    "recommendation": _l("Recommendation"), "category": _l("Category"), "rationale": _l("Rationale"),
    "dissent": _l("Dissent"), "actions": _l("Actions"), "tnm_edition": _l("TNM edition"),
    "clinical_t": "cT", "clinical_n": "cN", "clinical_m": "cM", "pathological_t": "pT", "pathological_n": "pN",
    "stage_group": _l("Stage group"),
}


class OutcomeAmendForm(FlaskForm):
    """Amending a signed outcome: its fields, pre-filled from the version in force, and why. Choices (the
    categories in the reader's language, the TNM editions) are set by the view; the actions' rows
    (`action-<n>-text|owner|due`) are read by the view. The content is judged by the domain."""

    recommendation = TextAreaField(_l("Recommendation"), validators=[Length(max=20000)], render_kw={"rows": 4})
    category = SelectField(_l("Category"), validate_choice=True)
    rationale = TextAreaField(_l("Rationale (optional)"), validators=[Length(max=20000)], render_kw={"rows": 3})
    dissent = TextAreaField(_l("Dissent (optional)"), validators=[Length(max=20000)], render_kw={"rows": 2})
    tnm_edition = SelectField(_l("TNM edition"), default="", validate_choice=True)
    clinical_t = StringField("cT", validators=[Length(max=16)], render_kw={"placeholder": "T2a", "autocomplete": "off"})
    clinical_n = StringField("cN", validators=[Length(max=16)], render_kw={"placeholder": "N1", "autocomplete": "off"})
    clinical_m = StringField("cM", validators=[Length(max=16)], render_kw={"placeholder": "M0", "autocomplete": "off"})
    pathological_t = StringField("pT", validators=[Length(max=16)],
                                 render_kw={"placeholder": "T2a", "autocomplete": "off"})
    pathological_n = StringField("pN", validators=[Length(max=16)],
                                 render_kw={"placeholder": "N0", "autocomplete": "off"})
    stage_group = StringField(_l("Stage group"), validators=[Length(max=16)],
                              render_kw={"placeholder": "IIB", "autocomplete": "off"})
    reason = TextAreaField(_l("Why the outcome is amended (shown with it and printed in its letter)"),
                           validators=[InputRequired(AMEND_REASON),
                                       Length(min=AMENDMENT_REASON_MINIMUM, max=AMENDMENT_REASON_LIMIT,
                                              message=AMEND_REASON)],
                           render_kw={"rows": 2, "maxlength": AMENDMENT_REASON_LIMIT})
