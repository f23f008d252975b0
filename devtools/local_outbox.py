"""`make run`'s outbox: what SES (moto's, in this process) was asked to send, for a person to read.

The app sends as deployed, through real SES calls (send_raw_email) to moto's
server; moto keeps each sent message (its documented ``sent_messages``). This
module reads them back: GET /local/outbox is a page with the newest messages
and their links, GET /local/outbox.json the same as data, and
``python -m devtools.local_outbox`` (`make mail`) prints them. The routes are
added to the app by devtools/local_stack.py only: app.py never has them, the
deployed package neither (tests/deploy/test_package.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.request
from email import message_from_string, policy
from html import escape
from typing import Any

from chalice.app import Blueprint, Response

SHOWN = 50
KEPT = 500  # moto would keep every message the stack ever sent; the oldest beyond these are let go
_URL = re.compile(r"https?://[^\s<>\"]+")
_ACCOUNT, _REGION = "123456789012", "us-east-1"  # moto's default account; `make run` sets the region

local_outbox = Blueprint(__name__)


def _sent() -> list[Any]:
    from moto.ses.models import ses_backends

    region = os.environ.get("AWS_DEFAULT_REGION", _REGION)
    messages: list[Any] = ses_backends[_ACCOUNT][region].sent_messages
    return messages


def forget_old() -> None:
    """Keep only the newest KEPT messages (called after each stream batch)."""
    sent = _sent()
    if len(sent) > KEPT:
        del sent[:len(sent) - KEPT]


def messages(limit: int = SHOWN) -> list[dict[str, Any]]:
    """The newest ``limit`` messages, newest first: headers, text and the links in it."""
    shown = []
    for sent in reversed(_sent()[-limit:]):
        raw = getattr(sent, "raw_data", None)
        if raw is None:
            continue  # only send_raw_email is used by the app
        parsed = message_from_string(raw, policy=policy.default)
        part = parsed.get_body(preferencelist=("plain",))
        text = str(part.get_content()) if part is not None else ""
        shown.append({
            "id": sent.id, "from": str(parsed["From"] or ""), "to": str(parsed["To"] or ""),
            "subject": str(parsed["Subject"] or ""),
            "list_unsubscribe": str(parsed["List-Unsubscribe"] or ""),
            "list_unsubscribe_post": str(parsed["List-Unsubscribe-Post"] or ""),
            "text": text, "links": _URL.findall(text),
        })
    return shown


def _linked(text: str) -> str:
    """The text, escaped, with its URLs as links."""
    out, at = [], 0
    for found in _URL.finditer(text):
        out.append(escape(text[at:found.start()]))
        url = escape(found[0])
        out.append(f"<a href=\"{url}\">{url}</a>")
        at = found.end()
    out.append(escape(text[at:]))
    return "".join(out)


def page(shown: list[dict[str, Any]]) -> str:
    items = "".join(
        f"<article data-to=\"{escape(m['to'])}\"><h2>{escape(m['subject'])}</h2>"
        f"<p>From {escape(m['from'])} to <b>{escape(m['to'])}</b></p>"
        + (f"<p>List-Unsubscribe: {_linked(m['list_unsubscribe'])}</p>" if m["list_unsubscribe"] else "")
        + f"<pre style=\"white-space: pre-wrap\">{_linked(m['text'])}</pre></article>"
        for m in shown)
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Local outbox</title></head>"
            "<body style=\"font-family: sans-serif; max-width: 50em; margin: 2em auto\">"
            f"<h1>Local outbox</h1><p>The {len(shown)} newest messages SES (moto) was given, newest first. "
            "Nothing here left this machine.</p>"
            f"{items or '<p>No mail yet.</p>'}</body></html>")


_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@local_outbox.route("/local/outbox", methods=["GET"])
def outbox_page() -> Response:
    return Response(body=page(messages()), status_code=200,
                    headers={**_NO_STORE, "Content-Type": "text/html; charset=utf-8"})


@local_outbox.route("/local/outbox.json", methods=["GET"])
def outbox_json() -> Response:
    return Response(body={"items": messages()}, status_code=200, headers=dict(_NO_STORE))


def show(shown: list[dict[str, Any]]) -> str:
    """The messages as `make mail` prints them, oldest first so the newest ends the output."""
    blocks = []
    for m in reversed(shown):
        head = f"To: {m['to']}\nFrom: {m['from']}\nSubject: {m['subject']}\n"
        if m["list_unsubscribe"]:
            head += f"List-Unsubscribe: {m['list_unsubscribe']}\n"
        blocks.append(f"{head}\n{m['text'].rstrip()}\n")
    return ("\n" + "=" * 72 + "\n").join(blocks) if blocks else "No mail yet.\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make mail", description="Print the newest mail `make run` sent.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--last", type=int, default=int(os.environ.get("LAST", "5")))
    args = parser.parse_args(argv)
    url = f"http://127.0.0.1:{args.port}/local/outbox.json"
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            shown = json.loads(reply.read())["items"]
    except OSError as error:
        print(f"No local stack answers at {url} ({error}): start it with `make run` (PORT={args.port}).",
              file=sys.stderr)
        return 1
    print(show(shown[:max(args.last, 1)]), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
