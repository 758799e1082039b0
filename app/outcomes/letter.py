"""The outcome letter: a PDF of a signed outcome for the referrer to file in the patient's record,
in the referrer's language and zone, attached to the case when the outcome is signed (and issued again,
as a new attachment, when an amendment is signed).

Drawn with ReportLab. Fonts, without downloading anything at run time: Chinese text uses ReportLab's
built-in CID font STSong-Light (the reader's PDF viewer supplies the glyphs); other text uses DejaVu
Sans from Debian's fonts-dejavu-core (Latin, Cyrillic, Greek), embedded. If DejaVu is missing, the
PDF falls back to Helvetica (Latin only) rather than failing to issue the letter.
Plain Python (no Flask).
"""
from __future__ import annotations

import io
import os
import re
from datetime import date, datetime
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.boards.models import Board
from app.cases.models import Case
from app.meetings.models import Meeting
from app.notifications.texts import recipient_locale, translations
from app.outcomes.models import STAGING_FIELDS, Outcome
from app.timekeeping import ensure_utc, format_day_for_reader, format_for_reader
from app.vocabulary import N_, discipline_text, label_text

LETTER_MEDIA_TYPE = "application/pdf"
# Letters are small; a generous bound keeps the store's size check meaningful.
LETTER_LIMIT = 20 * 1024 * 1024
DEJAVU_PATHS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                "/usr/share/fonts/dejavu/DejaVuSans.ttf",
                "/usr/local/share/fonts/DejaVuSans.ttf")
DEJAVU_BOLD_PATHS = tuple(path.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf") for path in DEJAVU_PATHS)
CHINESE_FONT = "STSong-Light"
_HAN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

TITLE = N_("MDT outcome letter")
AMENDED_TITLE = N_("MDT outcome letter: amended (version %(version)s, replaces version %(replaced)s)")
AMENDMENT_REASON = N_("Why it was amended")
CASE_LINE = N_("Case #%(case_id)s · patient reference %(reference)s · born %(year)s")
DIAGNOSIS = N_("Diagnosis")
BOARD = N_("Board")
MEETING = N_("Discussed at")
QUESTION = N_("Question for the MDT")
STAGING = N_("Staging")
EDITION = N_("TNM edition %(edition)s")
STAGE_GROUP = N_("Stage group %(group)s")
CATEGORY = N_("Recommendation category")
RECOMMENDATION = N_("Recommendation")
RATIONALE = N_("Rationale")
DISSENT = N_("Dissent")
ACTIONS = N_("Actions")
ACTION_LINE = N_("%(action)s — %(owner)s, by %(due)s")
SIGNED_BY = N_("Signed by")
SIGNATURE_LINE = N_("%(name)s (%(discipline)s), %(signed_at)s")
ISSUED = N_("Signed by every required discipline %(signed_at)s. Times in %(zone)s.")
TO = N_("To %(name)s")
FOOTER = N_("Issued by Meridian for the referring team. File it in the patient's record.")
STAGING_LABELS = {"clinical_t": "cT", "clinical_n": "cN", "clinical_m": "cM",
                  "pathological_t": "pT", "pathological_n": "pN"}

_fonts: dict[str, str] = {}


def _register_fonts() -> dict[str, str]:
    """{'regular', 'bold', 'chinese'} -> a registered font name (once per process)."""
    if _fonts:
        return _fonts
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(UnicodeCIDFont(CHINESE_FONT))
    regular = next((path for path in DEJAVU_PATHS if os.path.isfile(path)), None)
    bold = next((path for path in DEJAVU_BOLD_PATHS if os.path.isfile(path)), None)
    if regular:
        pdfmetrics.registerFont(TTFont("DejaVuSans", regular))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", bold or regular))
        _fonts.update(regular="DejaVuSans", bold="DejaVuSans-Bold")
    else:
        _fonts.update(regular="Helvetica", bold="Helvetica-Bold")
    _fonts["chinese"] = CHINESE_FONT
    return _fonts


def _is_chinese(text: str) -> bool:
    return bool(_HAN.search(text or ""))


def letter_filename_prefix(case: Case, outcome: Outcome) -> str:
    """What the file names of an outcome's letters (one per language) start with."""
    return f"outcome-letter-case-{case.id}-v{outcome.version}-"


def letter_filename(case: Case, outcome: Outcome, locale: str) -> str:
    return f"{letter_filename_prefix(case, outcome)}{locale}.pdf"


def letter_lines(session: Session, case: Case, outcome: Outcome, *, locale: str, zone: str,
                 recipient: User | None = None) -> list[tuple[str, str]]:
    """What the letter says, as (style, text) pairs in reading order: 'title', 'heading', 'body', 'small'."""
    t = translations(locale)
    gettext = t.gettext
    meeting = session.get(Meeting, outcome.meeting_id) if outcome.meeting_id else None
    board_id = (meeting.board_id if meeting is not None else None) or case.board_id
    board = session.get(Board, board_id) if board_id else None
    lines: list[tuple[str, str]] = []
    if outcome.supersedes_id is not None:
        replaced = session.get(Outcome, outcome.supersedes_id)
        lines.append(("title", gettext(AMENDED_TITLE) % {"version": outcome.version,
                                                          "replaced": replaced.version if replaced else "?"}))
    else:
        lines.append(("title", gettext(TITLE)))
    if recipient is not None:
        lines.append(("small", gettext(TO) % {"name": recipient.name}))
    lines.append(("body", gettext(CASE_LINE) % {"case_id": case.id, "reference": case.patient_reference or "—",
                                                "year": case.year_of_birth or "—"}))
    if outcome.amendment_reason:
        lines += [("heading", gettext(AMENDMENT_REASON)), ("body", outcome.amendment_reason)]
    lines.append(("heading", gettext(DIAGNOSIS)))
    lines.append(("body", " ".join(part for part in (case.icd10_code, case.diagnosis) if part) or "—"))
    if board is not None:
        lines += [("heading", gettext(BOARD)), ("body", board.name)]
    if meeting is not None:
        lines += [("heading", gettext(MEETING)),
                  ("body", f"{meeting.title}, {format_for_reader(meeting.starts_at, zone, locale)}")]
    if case.question:
        lines += [("heading", gettext(QUESTION)), ("body", case.question)]
    staging = [f"{STAGING_LABELS[name]}{getattr(outcome, name)[1:]}" for name in STAGING_FIELDS
               if name in STAGING_LABELS and getattr(outcome, name)]
    if outcome.stage_group:
        staging.append(gettext(STAGE_GROUP) % {"group": outcome.stage_group})
    if staging:
        edition = gettext(EDITION) % {"edition": outcome.tnm_edition} if outcome.tnm_edition else ""
        lines += [("heading", gettext(STAGING)), ("body", " ".join(staging) + (f" ({edition})" if edition else ""))]
    lines += [("heading", gettext(CATEGORY)), ("body", gettext(label_text(outcome.category) or outcome.category)),
              ("heading", gettext(RECOMMENDATION)), ("body", outcome.recommendation)]
    if outcome.rationale:
        lines += [("heading", gettext(RATIONALE)), ("body", outcome.rationale)]
    if outcome.dissent:
        lines += [("heading", gettext(DISSENT)), ("body", outcome.dissent)]
    actions = outcome.actions or []
    if actions:
        owner_ids = {action["owner_id"] for action in actions}
        owners = {user.id: user.name for user in session.scalars(select(User).where(User.id.in_(owner_ids)))}
        lines.append(("heading", gettext(ACTIONS)))
        for action in actions:
            lines.append(("item", gettext(ACTION_LINE) % {
                "action": action["action"], "owner": owners.get(action["owner_id"], "—"),
                "due": format_day_for_reader(date.fromisoformat(action["due"]), locale)}))
    lines.append(("heading", gettext(SIGNED_BY)))
    for signature in outcome.signatures:
        discipline = gettext(discipline_text(signature.discipline_code) or signature.discipline_code)
        lines.append(("item", gettext(SIGNATURE_LINE) % {
            "name": signature.user.name, "discipline": discipline,
            "signed_at": format_for_reader(signature.signed_at, zone, locale)}))
    if outcome.signed_at is not None:
        from app.timekeeping import zone_name_for_reader

        lines.append(("small", gettext(ISSUED) % {"signed_at": format_for_reader(outcome.signed_at, zone, locale),
                                                  "zone": zone_name_for_reader(zone, locale)}))
    lines.append(("small", gettext(FOOTER)))
    return lines


def render_letter(lines: list[tuple[str, str]], *, title: str) -> bytes:
    """The PDF of `lines` (A4, wrapped; Chinese paragraphs in the CID font, wrapped per character)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    fonts = _register_fonts()
    sizes = {"title": 16, "heading": 11, "body": 10.5, "item": 10.5, "small": 9}
    story = []
    for style_name, text in lines:
        chinese = _is_chinese(text)
        font = fonts["chinese"] if chinese else (fonts["bold"] if style_name in ("title", "heading")
                                                 else fonts["regular"])
        size = sizes[style_name]
        style = ParagraphStyle(style_name, fontName=font, fontSize=size, leading=size * 1.4,
                               spaceBefore=8 if style_name == "heading" else 2,
                               leftIndent=12 if style_name == "item" else 0,
                               wordWrap="CJK" if chinese else None)
        markup = escape(text).replace("\n", "<br/>")
        story.append(Paragraph(("• " if style_name == "item" else "") + markup, style))
        if style_name == "title":
            story.append(Spacer(1, 4 * mm))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                                 topMargin=20 * mm, bottomMargin=20 * mm, title=title, author="Meridian",
                                 invariant=True)
    document.build(story)
    return buffer.getvalue()


def letter_pdf(session: Session, case: Case, outcome: Outcome, *, locale: str, zone: str,
               recipient: User | None = None) -> bytes:
    lines = letter_lines(session, case, outcome, locale=locale, zone=zone, recipient=recipient)
    return render_letter(lines, title=f"{lines[0][1]} #{case.id}")


def attach_letter(session: Session, case: Case, outcome: Outcome, issuer: User, *, store,
                  at: datetime):
    """Render the letter for the case's referrer (their language and zone), store it and attach it to
    the case. Returns the Attachment."""
    from app.cases.operations import add_attachment

    referrer = session.get(User, case.referrer_id)
    locale = recipient_locale(referrer)
    pdf = letter_pdf(session, case, outcome, locale=locale, zone=referrer.timezone, recipient=referrer)
    stored = store.save(io.BytesIO(pdf), limit=LETTER_LIMIT)
    attachment, _ = add_attachment(session, case, issuer, filename=letter_filename(case, outcome, locale),
                                   stored=stored, at=ensure_utc(at))
    return attachment
