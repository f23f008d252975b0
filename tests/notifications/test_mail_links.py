"""Every link in every mail is on the API's own base (API_URL) and, followed through the app, lands.

SITE_URL is the blog (Blogger, a static site, the demo pages): links to posts
go there, and nothing else. The test stage's API_URL is
https://api.blog.test.example (.chalice/config.json).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest

from chalicelib.errors import ConfigurationError
from chalicelib.settings import Settings, load_settings
from tests.accounts.test_data_requests import ask
from tests.accounts.test_password_reset import Resets
from tests.conftest import Api, Blog
from tests.moderation.test_moderation_mail import ADMIN_ADDRESS
from tests.moderation.test_moderation_mail import alice as alice
from tests.moderation.test_moderation_mail import held as held
from tests.moderation.test_moderation_mail import hold as hold
from tests.notifications.test_notifications import Stream, to
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream

API_URL = "https://api.blog.test.example"
SITE_URL = "https://blog.test.example"
_URL = re.compile(r"https?://[^\s<>]+")


def mailed_links(message: EmailMessage) -> list[str]:
    """Every URL in the message's text, and the one in its List-Unsubscribe header."""
    found = _URL.findall(message.get_content())
    if message["List-Unsubscribe"]:
        found += _URL.findall(str(message["List-Unsubscribe"]))
    return found


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def assert_every_link_lands(api: Api, message: EmailMessage, commenters: tuple[str, ...] = ()) -> list[str]:
    """The message's links to the API are on API_URL and their pages answer; links to posts are on SITE_URL.

    ``commenters``: the website a commenter gave, which the moderators' mail shows as it was given.
    """
    links = [url for url in mailed_links(message) if url not in commenters]
    assert links, message.get_content()
    on_api = []
    for url in links:
        if urlsplit(url).path.startswith("/posts/"):
            assert url.startswith(SITE_URL + "/posts/"), url
            continue
        assert url.startswith(API_URL + "/"), url
        page = api.get(path_of(url))
        assert page.status == 200, (url, page.status, page.body)
        assert page.headers["content-type"].startswith("text/html")
        on_api.append(url)
    assert on_api
    return on_api


def test_a_comment_notice_links_the_post_on_the_blog_and_unsubscribes_on_the_api(
        api: Api, blog: Blog, stream: Stream) -> None:
    slug = blog.post(blog.author("alice"), title="Links")["slug"]
    stream.deliver(stream.inserted(slug, blog.comment(slug, body="Hello")))

    [notice] = to("alice@example.com")

    landed = assert_every_link_lands(api, notice)
    assert {urlsplit(u).path for u in landed} == {"/unsubscribe"}
    assert any(u.startswith(f"{SITE_URL}/posts/{slug}#comment-") for u in mailed_links(notice))


def test_a_confirmation_request_links_land_and_confirm(api: Api, blog: Blog, stream: Stream) -> None:
    slug = blog.post(blog.author("alice"))["slug"]
    stream.deliver(stream.inserted(slug, blog.comment(slug, author_email="bob@example.com", notify_replies=True)))

    [request] = to("bob@example.com")

    landed = assert_every_link_lands(api, request)
    [confirm] = [u for u in landed if urlsplit(u).path == "/email/confirm"]
    assert api.post(path_of(confirm), raw=b"", headers={"Content-Type": "text/plain"}).status == 200


def test_moderation_links_land_and_the_approve_link_approves(api: Api, blog: Blog, held: dict[str, Any]) -> None:
    [message] = to(ADMIN_ADDRESS)

    landed = assert_every_link_lands(api, message, commenters=("https://hal.example",))

    assert len(landed) == 3 and {urlsplit(u).path for u in landed} == {"/moderation/by-mail"}
    [approve] = [u for u in landed if ".approve." in u]
    done = api.post(path_of(approve), raw=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status == 200, done.body
    assert api.get(f"/comments/{held['id']}", token=blog.admin()).json["status"] == "approved"


def test_a_data_request_link_lands_and_downloads(api: Api, blog: Blog, slug: str, stream: Stream,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    blog.comment(slug, author_email="ann@example.com", body="Mine")
    ask(api, stream, monkeypatch)

    [message] = to("ann@example.com")

    [link] = assert_every_link_lands(api, message)
    exported = api.post(path_of(link), raw=b"", headers={"Content-Type": "text/plain"})
    assert exported.status == 200 and [c["body"] for c in exported.json["comments"]] == ["Mine"]


def test_a_password_reset_link_lands(api: Api, blog: Blog, stream: Stream, monkeypatch: pytest.MonkeyPatch) -> None:
    blog.user("bob")
    Resets(api, stream, monkeypatch).ask("bob@example.com")

    [message] = to("bob@example.com")

    [link] = assert_every_link_lands(api, message)
    assert urlsplit(link).path == "/auth/password-reset/confirm"


def test_one_click_unsubscribe_posts_to_the_header_url_itself(api: Api, blog: Blog, stream: Stream) -> None:
    # RFC 8058: the client POSTs "List-Unsubscribe=One-Click" to the List-Unsubscribe URL, with no page between
    slug = blog.post(blog.author("alice"))["slug"]
    stream.deliver(stream.inserted(slug, blog.comment(slug, body="First")))
    [notice] = to("alice@example.com")
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [url] = _URL.findall(str(notice["List-Unsubscribe"]))
    assert url.startswith(f"{API_URL}/unsubscribe?token=")

    done = api.post(path_of(url), raw=b"List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert done.status == 200, done.body
    stream.deliver(stream.inserted(slug, blog.comment(slug, body="Second")))
    assert len(to("alice@example.com")) == 1  # nothing more after the one click


def test_links_follow_the_stages_api_url(api: Api, blog: Blog, stream: Stream,
                                         configure: Callable[..., Settings]) -> None:
    configure(API_URL="https://abc123.execute-api.eu-west-1.amazonaws.com/api")
    slug = blog.post(blog.author("alice"))["slug"]
    stream.deliver(stream.inserted(slug, blog.comment(slug, body="Hello")))

    [notice] = to("alice@example.com")

    assert str(notice["List-Unsubscribe"]).startswith(
        "<https://abc123.execute-api.eu-west-1.amazonaws.com/api/unsubscribe?token=")


@pytest.mark.parametrize("url", ["https://api.example.com/", "api.example.com", "https://api.example.com?x=1",
                                 "ftp://api.example.com", "https://api.example.com/#top", "https://äpi.example"])
def test_an_api_url_links_could_not_be_built_on_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="API_URL"):
        load_settings({"API_URL": url})

