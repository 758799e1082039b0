"""Helpers for the page tests: page text, the error beside a control, a form's inputs."""
from __future__ import annotations

import html as html_lib
import re

from werkzeug.datastructures import MultiDict


def text(response) -> str:
    return response.get_data(as_text=True)


def csrf_of(html: str) -> str:
    """The CSRF token a page's form carries."""
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html).group(1)


def error_beside(html: str, field_id: str) -> str:
    """The message in the error paragraph tied to a control (aria-describedby), or ''. A field (not a
    button) with an error must also be marked aria-invalid."""
    control = re.search(rf'<(input|select|textarea|fieldset|button)[^>]*id="{re.escape(field_id)}"[^>]*>', html, re.S)
    assert control, f"no control with id {field_id}"
    assert f"{field_id}-error" in control.group(0), control.group(0)
    if control.group(1) != "button":
        assert 'aria-invalid="true"' in control.group(0), control.group(0)
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error"[^>]*>([^<]*)</p>', html)
    return html_lib.unescape(match.group(1)) if match else ""


def forms_posting_to(html: str, action: str) -> list[MultiDict]:
    """The hidden inputs of every form on the page that posts to `action`."""
    forms = re.findall(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S)
    return [MultiDict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)) for form in forms]


def main_of(html: str) -> str:
    return html.split('<main id="main"', 1)[1]
