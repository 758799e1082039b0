import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, EmailField, HiddenField, IntegerField, PasswordField,
                     SelectField, StringField)
from wtforms.widgets import TextInput
from wtforms.validators import (DataRequired, Email, InputRequired, Length, NumberRange, Optional,
                                Regexp, ValidationError)

from app.scheduling import WEEKDAY_KEYS
from app.timekeeping import EARLIEST_YEAR, LATEST_YEAR, check_supported_year

try:  # WTForms 3.3 deprecates (value, label) tuples as select choices
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def choice(value: str, label: str):
    """One option of a SelectField, in the form this WTForms wants."""
    return SelectChoice(value, label) if SelectChoice is not None else (value, label)


WEEKDAY_LABELS = dict(zip(WEEKDAY_KEYS, (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                                         _l("Saturday"), _l("Sunday"))))
_RANGE = re.compile(r"^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$")
RANGES_HINT = _l("Local wall-clock ranges, e.g. 09:00-13:00, 14:00-17:30. Leave empty for a day off.")


def parse_ranges(text: str | None) -> list[list[str]]:
    """'09:00-13:00, 14:00-17:30' -> [['09:00', '13:00'], ['14:00', '17:30']]; ValueError if unreadable.

    Only the shape is checked here; the matching engine's parser judges the times themselves."""
    ranges = []
    for part in re.split(r"[,;]", text or ""):
        part = part.strip()
        if not part:
            continue
        match = _RANGE.match(part)
        if not match:
            raise ValueError(gettext("“%(part)s” is not a range like 09:00-17:00", part=part))
        ranges.append([value.zfill(5) for value in match.groups()])
    return ranges


def format_ranges(ranges) -> str:
    return ", ".join(f"{start}-{end}" for start, end in ranges or [])


class IsoDateField(DateField):
    """A date typed as YYYY-MM-DD in a text box: the same in every browser, whatever its language
    (a browser's own date picker follows the browser's locale, not the page's)."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"placeholder": _l("YYYY-MM-DD"), "inputmode": "numeric", "autocomplete": "off",
                     "pattern": r"\d{4}-\d{2}-\d{2}", **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, format="%Y-%m-%d", render_kw=render_kw, **kwargs)

    def post_validate(self, form, validation_stopped):
        # The ends of the calendar would overflow in later arithmetic: only the years Meridian supports.
        if self.data is not None and not self.errors:
            try:
                check_supported_year(self.data)
            except ValueError:
                self.errors.append(gettext("Enter a date between the years %(first)s and %(last)s.",
                                           first=EARLIEST_YEAR, last=LATEST_YEAR))


class RangesField(StringField):
    """Text that must read as comma-separated HH:MM-HH:MM ranges; `.ranges` holds the parsed list."""

    ranges: list = []

    def pre_validate(self, form):
        try:
            self.ranges = parse_ranges(self.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class ProfileForm(FlaskForm):
    # Choices (the languages Meridian has catalogues for) are set by the view.
    locale = SelectField(_l("Interface language"), default="", validate_choice=True)


class LanguageForm(FlaskForm):
    locale = HiddenField(validators=[DataRequired()])


class SetPasswordForm(FlaskForm):
    """A new password, typed twice (the one-time set-password link; the base of changing one)."""
    new_password = PasswordField(_l("New password (at least 12 characters; a few unrelated words work well)"),
                                 validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=1024)])

    def validate_confirm(self, field):
        if field.data != self.new_password.data:
            raise ValidationError(_l("The two new passwords differ."))


class PasswordChangeForm(SetPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])


class LogoutForm(FlaskForm):
    pass


class PlainForm(FlaskForm):
    """A form with only its CSRF token (buttons that post)."""


class AnswerForm(FlaskForm):
    answer = HiddenField(_l("Answer"), validators=[DataRequired(),
                                               Regexp("^(accepted|tentative|declined)$",
                                                      message=_l("Choose accept, tentative or decline."))])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])


class WeeklyHoursForm(FlaskForm):
    mon = RangesField(WEEKDAY_LABELS["mon"])
    tue = RangesField(WEEKDAY_LABELS["tue"])
    wed = RangesField(WEEKDAY_LABELS["wed"])
    thu = RangesField(WEEKDAY_LABELS["thu"])
    fri = RangesField(WEEKDAY_LABELS["fri"])
    sat = RangesField(WEEKDAY_LABELS["sat"])
    sun = RangesField(WEEKDAY_LABELS["sun"])

    def days(self):
        return [getattr(self, day) for day in WEEKDAY_KEYS]


class LeaveForm(FlaskForm):
    from_date = IsoDateField(_l("First day of leave"), validators=[InputRequired(_l("Enter the first day."))])
    to_date = IsoDateField(_l("Last day of leave"), validators=[InputRequired(_l("Enter the last day."))])
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=500)])

    def validate_to_date(self, field):
        if self.from_date.data and field.data and field.data < self.from_date.data:
            raise ValidationError(_l("The last day must be on or after the first day."))


class OverrideForm(FlaskForm):
    date = IsoDateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))])
    hours = RangesField(_l("Working hours that day"))
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])


class LicenceForm(FlaskForm):
    jurisdiction = StringField(_l("Country (ISO code, e.g. CN)"),
                               validators=[InputRequired(_l("Enter the country code.")),
                                           Regexp("^[A-Za-z]{2}$", message=_l("Use the two-letter country code, e.g. CN."))])
    registration_number = StringField(_l("Registration number"),
                                      validators=[InputRequired(_l("Enter the registration number.")), Length(max=64)])
    expires_on = IsoDateField(_l("Expires on"), validators=[InputRequired(_l("Enter the expiry date."))])


class TimeSearchForm(FlaskForm):
    """Disciplines are `discipline` checkboxes (one seat each, or `seats-<code>` seats), added by the view."""

    case_id = HiddenField()  # the case the meeting is for: booked onto its agenda

    duration_minutes = IntegerField(_l("Duration (minutes)"), default=60,
                                    validators=[InputRequired(_l("Enter the duration.")),
                                                NumberRange(15, 480, _l("Between 15 and 480 minutes."))])
    from_date = IsoDateField(_l("From (first day)"), validators=[InputRequired(_l("Enter the first day."))])
    to_date = IsoDateField(_l("To (last day)"), validators=[InputRequired(_l("Enter the last day."))])
    licensed_in = StringField(_l("Licensed in (country code, optional)"),
                              validators=[Optional(), Regexp("^[A-Za-z]{2}$", message=_l("Use a two-letter country code."))])
    language = StringField(_l("Shared language (ISO 639-1, optional)"),
                           validators=[Optional(), Regexp("^[A-Za-z]{2}$", message=_l("Use a two-letter language code, e.g. en."))])
    urgent = BooleanField(_l("Urgent: only specialists who take urgent requests"))
    # Choices (the boards the coordinator runs) are set by the view; used when a slot is booked.
    board_id = SelectField(_l("Board a booked meeting is for (optional)"), choices=[choice("", _l("None"))], default="",
                           validate_choice=True)

    def validate_to_date(self, field):
        if self.from_date.data and field.data and field.data < self.from_date.data:
            raise ValidationError(_l("The last day must be on or after the first day."))


