"""A shadow-banned comment is silent: the table's stream sends no mail and no webhook for it, as it does for
an ordinary comment delivered beside it (real SES under moto, a real HTTP receiver)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.settings import Settings
from chalicelib.store import keys
from tests.conftest import Api, Blog
from tests.notifications import test_notifications, test_webhooks
from tests.notifications.test_notifications import Stream, outbox
from tests.notifications.test_webhooks import Receiver, hooks

# Their fixtures, reused: mail settings and SES under moto with a verified sender, real HTTP receivers, no pauses.
mail_settings = test_notifications.mail_settings
ses = test_notifications.ses
receivers = test_webhooks.receivers
pauses = test_webhooks.pauses


def test_a_shadow_banned_comment_sends_no_mail_and_no_webhook(
        api: Api, blog: Blog, ses: Any, receivers: Callable[[], Receiver], configure: Callable[..., Settings],
        pauses: list[float]) -> None:
    receiver = receivers()
    hooks(configure, pauses, f"json:{receiver.url}")
    stream = Stream(api)
    admin = blog.admin()
    slug = blog.post(blog.author("alice"), title="Quiet")["slug"]
    banned = api.post("/moderation/bans", {"by": "email", "email": "quiet@example.com", "mode": "shadow"},
                      token=admin)
    assert banned.status == 201
    ordinary = blog.comment(slug, body="An ordinary comment.", author_email="ann@example.com")
    shadowed = blog.comment(slug, body="A shadowed comment.", author_email="quiet@example.com")

    stream.deliver(stream.inserted(slug, ordinary),
                   stream.record("INSERT", None, stream.image(keys.held_comment(slug, shadowed["comment"]["id"]))))

    assert [m["To"] for m in outbox()] == ["alice@example.com"]
    assert "An ordinary comment." in outbox()[0].get_content()
    assert [b["data"]["id"] for b in receiver.bodies()] == [ordinary["comment"]["id"]]
