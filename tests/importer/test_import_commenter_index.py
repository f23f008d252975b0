"""Imported comments with an e-mail are entered in their commenter's index, as the API's own are.

So an anonymous commenter's data request (blog/personal_data.py) finds them too.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import signing
from chalicelib.blog.antispam import email_hash
from chalicelib.services import services
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from tests.conftest import TEST_TABLE, Api
from tests.importer.steps import WORDPRESS_SAMPLE, import_file

pytestmark = pytest.mark.skipif(not WORDPRESS_SAMPLE.exists(), reason="the shared import samples are absent")


def entries(address: str, key: bytes) -> list[dict[str, Any]]:
    found = dynamodb_client().query(
        TableName=TEST_TABLE, KeyConditionExpression="PK = :pk AND begins_with(SK, :c)",
        ExpressionAttributeValues={":pk": {"S": keys.commenter_partition("email:" + email_hash(key, address))},
                                   ":c": {"S": keys.COMMENT_PREFIX}})
    return list(found["Items"])


def test_imported_comments_with_an_e_mail_get_their_index_entries_once(api: Api) -> None:
    key = signing.derive_key(services().settings.hash_key, "anti-spam")
    import_file(WORDPRESS_SAMPLE, email_hash=lambda address: email_hash(key, address))
    first = entries("test@example.org", key)
    assert first, "no entry for the sample's commenter"
    assert all(e["post_slug"]["S"] for e in first)
    # Run again: nothing is imported twice, so no entry is either.
    import_file(WORDPRESS_SAMPLE, email_hash=lambda address: email_hash(key, address))
    assert entries("test@example.org", key) == first


def test_without_the_key_imported_comments_get_no_entries(api: Api) -> None:
    key = signing.derive_key(services().settings.hash_key, "anti-spam")
    import_file(WORDPRESS_SAMPLE)
    assert entries("test@example.org", key) == []
