"""Specification: a real Blogger post (shared/fixtures) round-trips faithfully.

The fixture is a page saved from Blogger: a date line (M/D/YYYY), the title,
paragraphs separated by blank lines, then the page's "No comments: / Post a
Comment" footer, which is page chrome and not part of the post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.conftest import Api, Blog
from tests.post_steps import archive_counts

FIXTURE = Path(__file__).resolve().parents[3] / "shared/fixtures/blogger-post-2017-03-22.txt"
FOOTER = re.compile(r"^\d+ comments?:|^No comments:")


@dataclass(frozen=True)
class BloggerPost:
    published: date
    title: str
    paragraphs: list[str]

    @property
    def markdown(self) -> str:
        return "\n\n".join(self.paragraphs)


def parse_blogger_page(text: str) -> BloggerPost:
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if block.strip()]
    published = datetime.strptime(blocks[0], "%m/%d/%Y").date()
    title = blocks[1]
    paragraphs = []
    for block in blocks[2:]:
        if FOOTER.match(block):
            break
        paragraphs.append(" ".join(block.split()))
    return BloggerPost(published, title, paragraphs)


@pytest.fixture
def blogger_post() -> BloggerPost:
    if not FIXTURE.exists():
        pytest.skip(f"the shared Blogger fixture is not checked out at {FIXTURE}")
    return parse_blogger_page(FIXTURE.read_text(encoding="utf-8"))


def test_the_fixture_parses_into_a_title_and_paragraphs_without_the_page_footer(blogger_post: BloggerPost) -> None:
    assert blogger_post.published == date(2017, 3, 22)
    assert blogger_post.title == "Russo-Japanese Different Dreams"
    assert len(blogger_post.paragraphs) == 6
    assert not any("Post a Comment" in p or "No comments" in p for p in blogger_post.paragraphs)


def test_the_blogger_post_round_trips_faithfully(api: Api, blog: Blog, blogger_post: BloggerPost) -> None:
    # Given the post as its author would paste it
    author = blog.author()

    # When it is published with its original date
    created = api.post("/posts", {
        "title": blogger_post.title,
        "body": blogger_post.markdown,
        "published_at": blogger_post.published.isoformat(),
        "labels": ["Japan", "Russia"],
    }, token=author)
    assert created.status == 201, created.body

    # Then reading it back gives the same title, paragraphs and typography
    post = api.get(created.headers["location"]).json
    assert post["title"] == blogger_post.title
    assert post["slug"] == "russo-japanese-different-dreams"
    assert post["body"] == blogger_post.markdown
    assert post["html"].count("<p>") == len(blogger_post.paragraphs) == 6
    for mark in ("“", "”", "’"):
        assert mark in post["body"] and mark in post["html"], mark
    assert "&#" not in post["html"]  # curly quotes stay characters, not entities
    assert "Kishida, evaluated" in post["html"]
    assert post["published_at"].startswith("2017-03-22")
    assert post["comment_count"] == 0
    assert post["summary"].startswith("The governments of Japan and Russia")

    # and it is filed under March 2017, in the archive and the month's list
    assert archive_counts(api) == {"2017-03": 1}
    assert [p["slug"] for p in api.get("/posts?month=2017-03").json["items"]] == [post["slug"]]
