"""Sample content for a new local blog, written through the real services."""

from __future__ import annotations

from chalicelib.blog import clock
from chalicelib.blog.status import Status
from chalicelib.blog.tokens import ADMIN, AUTHOR, Principal
from chalicelib.services import Services
from deploy.admin import ensure_admin

LOCAL_ADMIN = {"username": "admin", "email": "admin@example.com", "password": "local-admin-password"}

_POSTS = [
    {
        "title": "Welcome to your serverless blog",
        "labels": ["meta", "getting started"],
        "published_at": "2026-01-05T09:00:00Z",
        "body": (
            "This blog runs on AWS Lambda and DynamoDB, and right now on your own machine.\n\n"
            "Everything you see comes from the API: the post list, this page, and the comments "
            "below. Sign in as the local admin to write your own posts, or leave a comment "
            "without an account.\n\n"
            "* Posts are written in **Markdown** and stored as sanitised HTML.\n"
            "* Comments can be replied to, and edited for a few minutes after posting.\n"
        ),
    },
    {
        "title": "Notes from a rainy Tuesday",
        "labels": ["diary"],
        "published_at": "2026-02-17T18:30:00Z",
        "body": (
            "The rain started before breakfast and did not stop. I spent the day reading about "
            "single-table designs and drinking far too much tea.\n\n"
            "“Model the access patterns first,” the book said, “and the keys will follow.” It "
            "turned out to be good advice.\n"
        ),
    },
    {
        "title": "Café culture and other habits",
        "labels": ["diary", "travel"],
        "published_at": "2026-03-02T07:45:00Z",
        "body": "Every town has one café where the regulars nod at each other. Find it on day one.\n",
    },
]


def seed(blog: Services) -> None:
    # Seeding acts as these accounts directly, with no token to check against them.
    admin = Principal(username=LOCAL_ADMIN["username"], role=ADMIN, current=True)
    # Sign-up refuses the names in BLOG_ADMINS: the admin is made as `make admin` makes one.
    ensure_admin(blog.accounts.table, blog.settings, LOCAL_ADMIN["username"], LOCAL_ADMIN["email"],
                 lambda: LOCAL_ADMIN["password"], lambda _: None)
    blog.accounts.signup({"username": "editor", "email": "editor@example.com", "password": "local-editor-password"},
                         address="seed")
    blog.accounts.set_role(admin, "editor", {"role": AUTHOR})
    editor = Principal(username="editor", role=AUTHOR, current=True)
    for post in _POSTS:
        blog.posts.create(editor, {**post, "status": Status.PUBLISHED})
    welcome = "welcome-to-your-serverless-blog"
    first = blog.comments.create(None, welcome, {"body": "Nice to see it running!", "author_name": "Grace",
                                                 "form_token": _form_loaded_a_while_ago(blog, welcome)})
    blog.comments.create(
        None, welcome,
        {"body": "Agreed. Replies nest under the comment they answer.", "author_name": "Linus",
         "parent_id": first["comment"]["id"], "form_token": _form_loaded_a_while_ago(blog, welcome)},
    )
    rainy = "notes-from-a-rainy-tuesday"
    blog.comments.create(editor, rainy, {"body": "Thanks for reading, everyone.",
                                         "form_token": _form_loaded_a_while_ago(blog, rainy)})


def _form_loaded_a_while_ago(blog: Services, slug: str) -> str:
    """A comment form's token, as if the sample commenter had loaded the form and typed for a while.

    The samples go through every check a reader's comment does, REQUIRE_FORM_TOKEN's included:
    each is sent with a form token of its own, old enough for MIN_FORM_SECONDS.
    """
    return blog.antispam.form_token(slug, clock.epoch() - blog.settings.min_form_seconds - 1)
