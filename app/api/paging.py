"""Paging for the API lists: `limit` (default 50, at most 200) and `cursor` in the query string,
the next page in a `Link: <...>; rel="next"` header (RFC 8288) while more rows follow."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import request
from pydantic import BaseModel, ConfigDict, Field

from app.paging import DEFAULT_LIMIT, MAX_LIMIT, Page


class PageQuery(BaseModel):
    """`limit` and `cursor`; a list's own filters extend this."""

    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT,
                       description=f"Rows per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})")
    cursor: str | None = Field(default=None, max_length=200,
                               description="From the previous page's `Link: <...>; rel=\"next\"` header")


def next_link(page: Page) -> dict:
    """The `Link` header for the page after `page` (none on the last page), keeping every filter."""
    if page.next_cursor is None:
        return {}
    args = [(name, value) for name, value in request.args.items(multi=True) if name != "cursor"]
    args.append(("cursor", page.next_cursor))
    return {"Link": f'<{request.path}?{urlencode(args)}>; rel="next"'}
