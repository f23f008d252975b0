"""Previews: a post or comment body rendered exactly as publishing would render it, stored nowhere.

The console's editor and the widget's Preview tab both call this, so what an
author or commenter sees before saving is what readers see after: the same
renderer, the same sanitiser allow-list, the same length limits as the write.

Rendering is the costliest thing the API does per byte, so previews are counted
in a rate window of their own: per account for signed-in callers (an author
previewing as they type), else per address. Comment previews are open to anyone
who may comment; post previews only to those who may write posts.
"""

from __future__ import annotations

from typing import Any

from chalicelib.blog import posts, records, rendering
from chalicelib.blog.antispam import AntiSpam, rate_window
from chalicelib.blog.comment_creation import CREATE_FIELDS
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import Choice, Field, read_fields
from chalicelib.errors import Forbidden, Unauthenticated
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.table import Table

_KIND = Field(Choice(("post", "comment")), required=True)
# Each kind's body under the rule its own write applies; only posts may be HTML (imported ones are).
POST_PREVIEW_FIELDS = {"kind": _KIND, "body": posts.CREATE_FIELDS["body"],
                       "format": Field(Choice(("markdown", "html")))}
_COMMENT_FIELDS = {"kind": _KIND, "body": CREATE_FIELDS["body"]}


class Previews:
    def __init__(self, table: Table, settings: Settings, antispam: AntiSpam, open_authoring: bool) -> None:
        self.table = table
        self.settings = settings
        self.antispam = antispam
        self.open_authoring = open_authoring

    def render(self, principal: Principal | None, payload: Any, address: str, now: int) -> dict[str, Any]:
        is_post = isinstance(payload, dict) and payload.get("kind") == "post"
        fields = read_fields(payload, POST_PREVIEW_FIELDS if is_post else _COMMENT_FIELDS)
        if principal is None and (is_post or not self.settings.anonymous_comments):
            raise Unauthenticated("sign in to preview " + ("a post" if is_post else
                                                           "a comment: this blog takes comments from accounts only"))
        if is_post and principal is not None and not (principal.can_author or self.open_authoring):
            raise Forbidden("only authors and admins can preview posts")
        self._count(principal, address, now)
        if not is_post:
            return {"kind": "comment", "html": rendering.comment_html(fields["body"])}
        post = {"body": fields["body"], "format": fields.get("format", "markdown")}
        records.render_post(post, bounded=True)
        return {"kind": "post", "format": post["format"], "html": post["html"], "summary": post["summary"]}

    def _count(self, principal: Principal | None, address: str, now: int) -> None:
        limit = self.settings.preview_rate_limit
        caller = f"U{principal.username.casefold()}" if principal else f"A{self.antispam.address_hash(address)}"
        window = keys.preview_rate_window(caller, now // limit[1])
        self.table.write(rate_window(window, limit, "previews", now))

