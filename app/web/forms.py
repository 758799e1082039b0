import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, EmailField, HiddenField, IntegerField, PasswordField,
                     SelectField, StringField)
from wtforms.validators import (DataRequired, Email, InputRequired, Length, NumberRange, Optional,
                                Regexp, ValidationError)

from app.scheduling import WEEKDAY_KEYS

try:  # WTForms 3.3 deprecates (value, label) tuples as select choices
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def choice(value: str, label: str):
    """One option of a SelectField, in the form this WTForms wants."""
    return SelectChoice(value, label) if SelectChoice is not None else (value, label)

WEEKDAY_LABELS = dict(zip(WEEKDAY_KEYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                         "Saturday", "Sunday")))
_RANGE = re.compile(r"^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$")
RANGES_HINT = "Local wall-clock ranges, e.g. 09:00-13:00, 14:00-17:30. Leave empty for a day off."


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
            raise ValueError(f"“{part}” is not a range like 09:00-17:00")
        ranges.append([value.zfill(5) for value in match.groups()])
    return ranges


def format_ranges(ranges) -> str:
    return ", ".join(f"{start}-{end}" for start, end in ranges or [])


class RangesField(StringField):
    """Text that must read as comma-separated HH:MM-HH:MM ranges; `.ranges` holds the parsed list."""

    ranges: list = []

    def pre_validate(self, form):
        try:
            self.ranges = parse_ranges(self.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class ProfileForm(FlaskForm):
    # Choices (the languages Meridian has catalogues for) are set by the view.
    locale = SelectField(_l("Interface language"), default="", validate_choice=True)


class LanguageForm(FlaskForm):
    locale = HiddenField(validators=[DataRequired()])


class LogoutForm(FlaskForm):
    pass


class PlainForm(FlaskForm):
    """A form with only its CSRF token (buttons that post)."""


class AnswerForm(FlaskForm):
    answer = HiddenField("Answer", validators=[DataRequired(),
                                               Regexp("^(accepted|tentative|declined)$",
                                                      message="Choose accept, tentative or decline.")])
    note = StringField("Note (optional)", validators=[Optional(), Length(max=500)])


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
    from_date = DateField("First day of leave", validators=[InputRequired("Enter the first day.")])
    to_date = DateField("Last day of leave", validators=[InputRequired("Enter the last day.")])
    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=500)])

    def validate_to_date(self, field):
        if self.from_date.data and field.data and field.data < self.from_date.data:
            raise ValidationError("The last day must be on or after the first day.")


class OverrideForm(FlaskForm):
    date = DateField("Date", validators=[InputRequired("Enter the date.")])
    hours = RangesField("Working hours that day")
    note = StringField("Note (optional)", validators=[Optional(), Length(max=500)])


class LicenceForm(FlaskForm):
    jurisdiction = StringField("Country (ISO code, e.g. CN)",
                               validators=[InputRequired("Enter the country code."),
                                           Regexp("^[A-Za-z]{2}$", message="Use the two-letter country code, e.g. CN.")])
    registration_number = StringField("Registration number",
                                      validators=[InputRequired("Enter the registration number."), Length(max=64)])
    expires_on = DateField("Expires on", validators=[InputRequired("Enter the expiry date.")])


class TimeSearchForm(FlaskForm):
    """Seat counts per discipline are added as `seats-<code>` inputs by the view."""

    duration_minutes = IntegerField("Duration (minutes)", default=60,
                                    validators=[InputRequired("Enter the duration."),
                                                NumberRange(15, 480, "Between 15 and 480 minutes.")])
    from_date = DateField("From (first day)", validators=[InputRequired("Enter the first day.")])
    to_date = DateField("To (last day)", validators=[InputRequired("Enter the last day.")])
    licensed_in = StringField("Licensed in (country code, optional)",
                              validators=[Optional(), Regexp("^[A-Za-z]{2}$", message="Use a two-letter country code.")])
    language = StringField("Shared language (ISO 639-1, optional)",
                           validators=[Optional(), Regexp("^[A-Za-z]{2}$", message="Use a two-letter language code, e.g. en.")])
    urgent = BooleanField("Urgent: only specialists who take urgent requests")
    # Choices (the boards the coordinator runs) are set by the view; used when a slot is booked.
    board_id = SelectField("Board a booked meeting is for (optional)", choices=[choice("", "None")], default="",
                           validate_choice=True)

    def validate_to_date(self, field):
        if self.from_date.data and field.data and field.data < self.from_date.data:
            raise ValidationError("The last day must be on or after the first day.")


