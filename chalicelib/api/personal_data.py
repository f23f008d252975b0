"""One's own data over HTTP: export it, delete the account, and an anonymous commenter's mailed links.

The mailed link's GET shows a page and changes nothing (mail scanners open
links on their own); its button POSTs to the same URL, which gives the export
(JSON) or deletes (once), as blog/personal_data.py describes.
"""

from __future__ import annotations

from html import escape
from typing import Any

from chalice.app import Response

from chalicelib.api.link_pages import FORM_TYPES, page
from chalicelib.api.requests import json_body, query, signed_in, source_address
from chalicelib.api.routing import ApiBlueprint
from chalicelib.services import services

personal_data = ApiBlueprint(__name__)

def _button(token: str, label: str, choice: str | None = None) -> str:
    target = f"?token={token}" + (f"&comments={choice}" if choice else "")
    return (f"<form method=\"post\" action=\"{escape(target)}\" style=\"margin: 1em 0\">"
            f"<button type=\"submit\">{escape(label)}</button></form>")


@personal_data.route("/me/export", methods=["GET"])
def export() -> dict[str, Any]:
    request = personal_data.current_request
    return services().personal_data.export(signed_in(request, account_read_by_service=True), query(request))


@personal_data.route("/me", methods=["DELETE"])
def delete_account() -> Response:
    request = personal_data.current_request
    services().personal_data.delete_account(signed_in(request, account_read_by_service=True), json_body(request))
    return Response(body="", status_code=204)


@personal_data.route("/data-requests", methods=["POST"])
def request_link() -> Response:
    request = personal_data.current_request
    return Response(body=services().personal_data.request(json_body(request), source_address(request)),
                    status_code=202)


@personal_data.route("/data-requests/confirm", methods=["GET"])
def show_link() -> Response:
    request = personal_data.current_request
    token = str(query(request).get("token") or "")
    link = services().personal_data.show_link(token, source_address(request))
    from chalicelib.blog.personal_data import ANONYMOUS, DELETE, TOMBSTONE  # loaded by the line above
    if link.action == DELETE:
        return page("Delete your comments?",
                     "<p>Choose what happens to the comments written with your address. Either way your name, "
                     "e-mail and website go. This cannot be undone.</p>"
                     + _button(token, "Delete their text (replies keep their place)", TOMBSTONE)
                     + _button(token, "Keep their text, signed “Anonymous”", ANONYMOUS))
    return page("Download your comments?", "<p>You get them as a JSON file.</p>" + _button(token, "Download"))


@personal_data.route("/data-requests/confirm", methods=["POST"], content_types=FORM_TYPES,
                     query=("token", "comments", "limit", "cursor"))
def act_on_link() -> Response:
    request = personal_data.current_request
    done = services().personal_data.act_on_link(query(request), source_address(request))
    from chalicelib.blog.personal_data import DELETE, TOMBSTONE  # loaded by the line above
    if done["action"] == DELETE:
        return page("Your comments are deleted" if done["comments"] == TOMBSTONE else "Your comments are anonymous",
                     f"<p>{done['count']} comment(s) changed. This link is now spent.</p>")
    return Response(body=done, status_code=200, headers={
        "Content-Disposition": "attachment; filename=\"comments.json\"", "Referrer-Policy": "no-referrer"})
