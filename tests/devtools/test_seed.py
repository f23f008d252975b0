"""`make run`'s sample content, seeded through the real services on a fresh table."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.services import build
from chalicelib.settings import Settings
from devtools import seed
from tests.conftest import Api

WELCOME = "welcome-to-your-serverless-blog"


def test_a_fresh_blog_that_requires_form_tokens_is_seeded_with_its_sample_comments(
        api: Api, configure: Callable[..., Settings]) -> None:
    """Found: REQUIRE_FORM_TOKEN=true crashed `make run` on a fresh stack while seeding the sample comments."""
    settings = configure(REQUIRE_FORM_TOKEN="true", MIN_FORM_SECONDS="5")

    # As devtools/local_stack.py seeds: sample comments anonymous and public, the form rules as configured.
    seed.seed(build(settings.replace(anonymous_comments=True, moderation="off")))

    listing = api.get(f"/posts/{WELCOME}/comments")
    assert listing.status == 200, listing.body
    assert [c["body"] for c in listing.json["items"]] == [
        "Nice to see it running!", "Agreed. Replies nest under the comment they answer."]
    assert api.get(f"/posts/{WELCOME}").json["comment_count"] == 2
