"""Forms of the administrator's pages (app.web.admin_views)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (EmailField, HiddenField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

ROLE_LABELS = {"referrer": _l("Referrer (clinician)"), "specialist": _l("Specialist"),
               "coordinator": _l("Coordinator"), "admin": _l("Administrator"),
               "data-protection-officer": _l("Data-protection officer")}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SiteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(min=2, max=200)])
    country = StringField(_l("Country (ISO code, e.g. CN, NP, RU)"), validators=[DataRequired(), Length(min=2, max=2)])
    timezone = StringField(_l("Time zone (e.g. Asia/Shanghai)"), validators=[DataRequired(), Length(max=64)])
    residency_region = StringField(_l("Data-residency region (e.g. cn, eaeu)"),
                                   validators=[DataRequired(), Length(max=32)])


class InviteForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    organization_id = SelectField(_l("Site"), validators=[DataRequired()])
    roles = CheckboxesField(_l("Roles"), validators=[DataRequired(message=_l("Choose at least one role."))])


class RolesForm(FlaskForm):
    roles = CheckboxesField(_l("Roles"), validators=[DataRequired(message=_l("Choose at least one role."))])


class LicenceVerdictForm(FlaskForm):
    verdict = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("Evidence (what you checked, or why you refuse it)"),
                         validators=[Optional(), Length(max=2000)])


class DisciplineForm(FlaskForm):
    code = StringField(_l("Code (never changes, e.g. sarcoma-surgery)"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    label_zh = StringField(_l("Name in Chinese"), validators=[Optional(), Length(max=120)])
    label_ru = StringField(_l("Name in Russian"), validators=[Optional(), Length(max=120)])


class DisciplineEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    label_zh = StringField(_l("Name in Chinese"), validators=[Optional(), Length(max=120)])
    label_ru = StringField(_l("Name in Russian"), validators=[Optional(), Length(max=120)])


class OnboardingForm(FlaskForm):
    organization_id = SelectField(_l("Partner site"), validators=[DataRequired()])
    file = FileField(_l("CSV file (UTF-8)"))
    # After a dry run the file's text travels back with "Apply", so what is applied is what was previewed.
    csv_text = HiddenField()
