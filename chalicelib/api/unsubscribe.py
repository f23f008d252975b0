"""The links in mail: unsubscribing (with RFC 8058 one-click), confirming an address, moderating a comment.

GET shows a confirmation page and changes nothing: mail scanners fetch links
on their own, and must not unsubscribe anybody (RFC 8058, section 1). Its
button, like a mail client's one-click (List-Unsubscribe-Post), POSTs to the
same URL, which records the opt-out. The signed token in the URL is the only
proof needed; the POST body is ignored.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from chalice.app import Response

from chalicelib.api.link_pages import FORM_TYPES, page
from chalicelib.api.requests import query
from chalicelib.api.routing import ApiBlueprint
from chalicelib.services import services

unsubscribe = ApiBlueprint(__name__)

@unsubscribe.route("/unsubscribe", methods=["GET"])
def confirm_unsubscribe() -> Response:
    services().notifications.check_token(query(unsubscribe.current_request).get("token"))
    # An empty action posts back to this very URL, token included, wherever the API is mounted.
    return page("Unsubscribe from this blog's e-mail?",
                 "<p>You will get no more notifications about comments at this address.</p>"
                 "<form method=\"post\" action=\"\">"
                 "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
                 "<button type=\"submit\">Unsubscribe</button></form>")


@unsubscribe.route("/unsubscribe", methods=["POST"], content_types=FORM_TYPES, query=("token",))
def unsubscribe_now() -> Response:
    services().notifications.unsubscribe(query(unsubscribe.current_request).get("token"))
    return page("You are unsubscribed", "<p>This blog will send no more e-mail to this address.</p>")


# Confirming an address for reply notifications (double opt-in), in the same two steps:
# GET shows a button and records nothing (scanners prefetch links); its POST records the confirmation.
@unsubscribe.route("/email/confirm", methods=["GET"])
def show_email_confirmation() -> Response:
    services().notifications.check_confirm_token(query(unsubscribe.current_request).get("token"))
    return page("Confirm your e-mail address?",
                 "<p>This blog will then e-mail you about replies to comments where you asked for them. "
                 "Every e-mail has a link to stop them.</p>"
                 "<form method=\"post\" action=\"\"><button type=\"submit\">Confirm</button></form>")


@unsubscribe.route("/email/confirm", methods=["POST"], content_types=FORM_TYPES, query=("token",))
def confirm_email() -> Response:
    services().notifications.confirm(query(unsubscribe.current_request).get("token"))
    return page("Your address is confirmed", "<p>You will hear about replies where you asked for them.</p>")


# Moderating a held comment from the admins' e-mail (blog/moderation_mail.py), in the same two steps:
# GET shows the comment and a button, changing nothing; the button's POST acts, once.
@unsubscribe.route("/moderation/by-mail", methods=["GET"])
def show_moderation_link() -> Response:
    token = str(query(unsubscribe.current_request).get("token") or "")
    shown = services().moderation_mail.describe(token)
    action = escape(shown["action"])
    changed = ("<p><strong>Edited after the e-mail was sent:</strong> this is what it says now, "
               "not what the e-mail quoted.</p>") if shown["changed"] else ""
    # The button says which text it was shown (``seen``): an edited comment is acted on only from this page.
    target = escape(f"?{urlencode({'token': token, 'seen': shown['seen']})}")
    return page(f"{action.capitalize()} this comment?",
                 f"<p>On <code>{escape(shown['post'])}</code>, by {escape(shown['author_name'])}, "
                 f"now {escape(shown['status'])}:</p>{changed}"
                 f"<blockquote><pre style=\"white-space: pre-wrap\">{escape(shown['body'])}</pre></blockquote>"
                 f"<form method=\"post\" action=\"{target}\"><button type=\"submit\">{action.capitalize()}</button>"
                 "</form>")


@unsubscribe.route("/moderation/by-mail", methods=["POST"], content_types=FORM_TYPES, query=("token", "seen"))
def moderate_by_mail() -> Response:
    params = query(unsubscribe.current_request)
    done = services().moderation_mail.use(params.get("token"), params.get("seen"))
    return page("Done", f"<p>The comment is now {escape(done['status'])}.</p>")
