"""Specification: `make rekey` moves every commenter's hashes to the new HASH_KEY, so the grace period can end.

After it, the previous key can go (`make rotate-key KEY=HASH_KEY FINISH=1`) and an
address that never asked for its data during the grace period still finds its
comments, and a commenter approved before the rotation is still known.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from chalicelib.services import services
from chalicelib.store import keys
from deploy.rekey import rekey
from deploy.stages import PROJECT
from tests.accounts.test_data_requests import ask, link
from tests.accounts.test_key_rotation import Configure, new_key, rotate_hash_key
from tests.conftest import Api, Blog, DynamoCalls
from tests.notifications.test_notifications import Stream

# The mail fixtures of the notifications' tests: NOTIFY_FROM set, moto's SES with the sender verified, the stream.
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream
from tests.settings_steps import confirm_email, send


def run_rekey(dynamo: DynamoCalls) -> Counter[str]:
    """The operator's re-key, on the test stage's table; it Scans, which no request path may."""
    outcome = rekey(services().table, services().antispam)
    dynamo.clear()
    return outcome


def finish(configure: Configure, **more: str) -> None:
    """The grace period ended: the current HASH_KEY stays, the previous one is gone."""
    configure(HASH_KEY=services().settings.hash_key, HASH_KEY_PREVIOUS="", **more)


def filed(address: str) -> list[str]:
    """The sort keys filed under ``address``'s current hash: its comment entries and approval."""
    identity = "email:" + services().antispam.email_hash(address)
    return [str(i["SK"]) for i in services().table.query(keys.commenter_partition(identity), limit=100).items]


def test_after_a_rekey_the_previous_key_can_go_and_every_address_still_finds_its_comments(
        api: Api, blog: Blog, slug: str, stream: Stream, configure: Configure, monkeypatch: pytest.MonkeyPatch,
        dynamo: DynamoCalls) -> None:
    blog.comment(slug, author_email="ann@example.com", body="Ann's first.")
    blog.comment(slug, author_email="Ann@Example.com ", body="Ann's second.")
    blog.comment(slug, author_email="bob@example.com", body="Bob's.")
    blog.comment(slug, token=blog.user("dora"), body="Dora's, signed in.")
    rotate_hash_key(configure)

    outcome = run_rekey(dynamo)
    finish(configure)

    assert outcome["addresses moved"] == 2
    assert outcome["items moved"] == 5  # two entries and an approval for ann, one entry and an approval for bob
    ask(api, stream, monkeypatch, address="bob@example.com")
    exported = api.post(link("bob@example.com"), raw=b"", headers={"Content-Type": "text/plain"})
    assert [c["body"] for c in exported.json["comments"]] == ["Bob's."]
    assert len(filed("ann@example.com")) == 3


def test_a_second_rekey_moves_nothing(api: Api, blog: Blog, slug: str, configure: Configure,
                                      dynamo: DynamoCalls) -> None:
    blog.comment(slug, author_email="ann@example.com")
    rotate_hash_key(configure)
    run_rekey(dynamo)

    again = run_rekey(dynamo)

    assert again["addresses moved"] == 0
    assert again["addresses with nothing under the old key"] == 1


def test_a_rekey_keeps_first_time_approvals_and_confirmations(api: Api, blog: Blog, slug: str,
                                                              configure: Configure, dynamo: DynamoCalls) -> None:
    configure(MODERATION="first-time")
    first = send(api, slug, "Hello", author_email="ann@example.org")
    assert api.post(f"/comments/{first.json['comment']['id']}/moderate", {"action": "approve"},
                    token=blog.admin()).status == 200
    confirm_email(api, "ann@example.org")
    rotate_hash_key(configure, MODERATION="first-time")

    run_rekey(dynamo)
    finish(configure, MODERATION="first-time")

    again = send(api, slug, "Hello again", author_email="ann@example.org")
    assert again.status == 201 and again.json["comment"]["status"] == "approved"


def test_without_a_previous_key_a_rekey_does_nothing(api: Api, blog: Blog, slug: str, configure: Configure,
                                                     dynamo: DynamoCalls) -> None:
    blog.comment(slug, author_email="ann@example.com")
    before = filed("ann@example.com")
    configure(HASH_KEY=new_key())  # rotated without keeping the old key: nothing can be moved

    outcome = run_rekey(dynamo)

    assert outcome == {"no previous HASH_KEY: nothing to move": 1}
    configure(HASH_KEY=os.environ["HASH_KEY"])
    assert filed("ann@example.com") == before


def test_the_command_refuses_the_local_stage() -> None:
    refused = subprocess.run([sys.executable, "-m", "deploy.rekey", "--stage", "local"], cwd=PROJECT,
                             capture_output=True, text=True, timeout=60)

    assert refused.returncode == 1 and ".local/secrets.json" in refused.stderr
