"""What a reader's page reads to show a thread: the whole of a few hundred comments in one
cacheable answer, the form's rules with it (the token only when the reader writes), and
each comment's Markdown source only for whoever may edit it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.comments.test_comments import seed_comments
from tests.conftest import Api, Blog, DynamoCalls


def without_body(items: list[dict[str, Any]]) -> bool:
    return all("body" not in item and item["html"] for item in items)


# -- the Markdown body: only where editing needs it ----------------------------------------------

@pytest.mark.parametrize("sort", ["oldest", "newest", "score"])
def test_public_comment_lists_carry_html_but_not_the_markdown_body(api: Api, blog: Blog, slug: str,
                                                                    sort: str) -> None:
    blog.comment(slug, body="Some *emphasis*")
    listed = api.get(f"/posts/{slug}/comments?sort={sort}")
    assert listed.status == 200, listed.body
    assert len(listed.json["items"]) == 1 and without_body(listed.json["items"])
    assert "*emphasis*" not in listed.body.decode()


def test_a_post_read_with_its_comments_carries_no_markdown_body_of_a_comment(api: Api, blog: Blog,
                                                                             slug: str) -> None:
    blog.comment(slug, body="Some *emphasis*")
    post = api.get(f"/posts/{slug}?embed=comments")
    assert post.status == 200, post.body
    assert without_body(post.json["comments"])


def test_a_vote_answers_with_the_comment_without_its_body(api: Api, blog: Blog, slug: str) -> None:
    comment_id = blog.comment(slug, body="Vote for me")["comment"]["id"]
    voted = api.post(f"/comments/{comment_id}/vote", {"value": 1}, headers={"X-Voter-Token": "voter-one-0001"})
    assert voted.status == 200, voted.body
    assert "body" not in voted.json and voted.json["likes"] == 1


def test_creating_and_editing_answer_with_the_body_the_author_typed(api: Api, blog: Blog, slug: str) -> None:
    created = blog.comment(slug, body="First *draft*")
    assert created["comment"]["body"] == "First *draft*"
    edited = api.patch(f"/comments/{created['comment']['id']}", {"body": "Second *draft*"},
                       headers={"X-Edit-Token": created["edit_token"]})
    assert edited.status == 200, edited.body
    assert edited.json["body"] == "Second *draft*"


def test_the_edit_token_holder_reads_the_body_privately(api: Api, blog: Blog, slug: str) -> None:
    created = blog.comment(slug, body="Mine *to edit*")
    read = api.get(f"/comments/{created['comment']['id']}", headers={"X-Edit-Token": created["edit_token"]})
    assert read.status == 200, read.body
    assert read.json["body"] == "Mine *to edit*"
    # What only the token holder sees is never kept by a shared cache.
    assert read.headers["cache-control"] == "private, no-store"


def test_a_signed_in_author_and_an_admin_read_the_body(api: Api, blog: Blog, slug: str) -> None:
    reader = blog.user("rhea")
    comment_id = blog.comment(slug, token=reader, body="Signed *words*")["comment"]["id"]
    for token in (reader, blog.admin()):
        read = api.get(f"/comments/{comment_id}", token=token)
        assert read.status == 200, read.body
        assert read.json["body"] == "Signed *words*"


def test_anyone_else_reads_the_comment_without_its_body(api: Api, blog: Blog, slug: str) -> None:
    created = blog.comment(slug, body="Not *yours*")
    other = blog.comment(slug, body="Another")
    comment_id = created["comment"]["id"]
    attempts: list[dict[str, Any]] = [
        {},                                                   # an anonymous reader
        {"token": blog.user("stranger")},                     # someone else, signed in
        {"headers": {"X-Edit-Token": other["edit_token"]}},   # another comment's edit token
        {"headers": {"X-Edit-Token": "forged.token"}},        # a forged one
    ]
    for attempt in attempts:
        read = api.get(f"/comments/{comment_id}", **attempt)
        assert read.status == 200, (attempt, read.body)
        assert "body" not in read.json and "Not <em>yours</em>" in read.json["html"], attempt


def test_a_held_comment_is_still_hidden_from_everyone_but_its_author(api: Api, blog: Blog, slug: str,
                                                                     configure: Any) -> None:
    configure(MODERATION="all")
    posted = api.post(f"/posts/{slug}/comments", {"body": "Wait for *approval*"})
    assert posted.status == 202, posted.body
    created = posted.json
    comment_id = created["comment"]["id"]
    assert api.get(f"/comments/{comment_id}").status == 404
    assert api.get(f"/comments/{comment_id}", headers={"X-Edit-Token": "forged.token"}).status == 404
    own = api.get(f"/comments/{comment_id}", headers={"X-Edit-Token": created["edit_token"]})
    assert own.status == 200 and own.json["body"] == "Wait for *approval*"


# -- a whole thread in one answer ---------------------------------------------------------------

def test_a_thread_of_300_comments_comes_whole_with_its_post_in_one_query(api: Api, blog: Blog, dynamo: DynamoCalls,
                                                                         slug: str) -> None:
    first = blog.comment(slug)["comment"]["id"]
    seeded = seed_comments(slug, first, 299)
    dynamo.clear()
    post = api.get(f"/posts/{slug}?embed=comments&comments_limit=300")
    assert post.status == 200, post.body
    assert dynamo.operations == ["Query"]
    assert [c["id"] for c in post.json["comments"]] == sorted([first, *seeded])
    assert post.json["comments_next_cursor"] is None
    # Cacheable as any public read, so repeated views cost the origin nothing.
    assert post.headers["cache-control"].startswith("public")


def test_a_comment_list_of_300_is_one_query(api: Api, blog: Blog, dynamo: DynamoCalls, slug: str) -> None:
    first = blog.comment(slug)["comment"]["id"]
    seed_comments(slug, first, 300)
    dynamo.clear()
    page = api.get(f"/posts/{slug}/comments?limit=300")
    assert page.status == 200, page.body
    assert dynamo.operations == ["Query"]
    assert len(page.json["items"]) == 300 and page.json["next_cursor"]
    rest = api.get(f"/posts/{slug}/comments?limit=300&cursor={page.json['next_cursor']}")
    assert len(rest.json["items"]) == 1 and rest.json["next_cursor"] is None


@pytest.mark.parametrize("path", ["/comments?limit=301", "?embed=comments&comments_limit=301",
                                  "/comments?limit=1000", "?comments_limit=0"])
def test_a_thread_page_beyond_300_is_refused_with_the_limit_named(api: Api, slug: str, path: str) -> None:
    reply = api.get(f"/posts/{slug}{path}")
    assert reply.status == 422, reply.body
    assert any("from 1 to 300" in message for messages in reply.problem["errors"].values() for message in messages)


def test_other_lists_keep_their_page_limit_of_100(api: Api, slug: str) -> None:
    assert api.get("/posts?limit=101").status == 422
    assert api.get(f"/posts/{slug}/comments.html?limit=101").status == 422


# -- the form: rules with the thread, the token when the reader writes ----------------------------

def test_a_post_read_with_its_comments_carries_the_form_rules_but_no_token(api: Api, slug: str) -> None:
    post = api.get(f"/posts/{slug}?embed=comments")
    form = api.get(f"/posts/{slug}/comment-form")
    assert post.status == form.status == 200
    # The token, and whether this reader must pass the challenge, are the form's answer to one reader alone.
    rules = {name: value for name, value in form.json.items() if name not in ("form_token", "challenge_required")}
    assert post.json["comment_form"] == rules
    assert "form_token" not in post.body.decode()
    # The token is the one answer no cache may keep; the rules ride in a cacheable one.
    assert form.headers["cache-control"] == "no-store"
    assert post.headers["cache-control"].startswith("public")


def test_a_post_read_alone_carries_no_form_rules(api: Api, slug: str) -> None:
    post = api.get(f"/posts/{slug}")
    assert post.status == 200 and "comment_form" not in post.json
