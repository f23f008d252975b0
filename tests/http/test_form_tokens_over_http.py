"""`make run` with REQUIRE_FORM_TOKEN=true, over real HTTP: it starts and seeds, and a form token sends one comment."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.http.conftest import LocalStack, start_stack


@pytest.fixture(scope="module")
def strict_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    running = start_stack(tmp_path_factory.mktemp("strict"), REQUIRE_FORM_TOKEN="true", MIN_FORM_SECONDS="0",
                          COMMENT_RATE_LIMIT="1000/60")
    yield running
    running.stop()


def test_a_fresh_stack_that_requires_form_tokens_starts_with_its_sample_comments(strict_stack: LocalStack) -> None:
    """Found: the seeding of the sample comments crashed `make run` with REQUIRE_FORM_TOKEN=true."""
    listing = strict_stack.get("/posts/welcome-to-your-serverless-blog/comments")

    assert listing.status_code == 200, listing.text
    assert [c["author"]["name"] for c in listing.json()["items"]] == ["Grace", "Linus"]


def test_a_form_token_sent_at_once_by_several_requests_posts_one_comment(strict_stack: LocalStack) -> None:
    slug = "welcome-to-your-serverless-blog"
    token = strict_stack.get(f"/posts/{slug}/comment-form").json()["form_token"]

    def send(n: int) -> int:
        return strict_stack.post(f"/posts/{slug}/comments",
                                 {"body": f"Racing copy {n}", "author_name": "Eve", "form_token": token}).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(send, range(4)))

    assert statuses == [201, 409, 409, 409]
    bodies = [c["html"] for c in strict_stack.get(f"/posts/{slug}/comments").json()["items"]]
    assert sum(body.startswith("<p>Racing copy") for body in bodies) == 1
