"""Composition root: builds the services once per container, from settings and the one client."""

from __future__ import annotations

from chalicelib import signing
from chalicelib.blog import views
from chalicelib.blog.accounts import Accounts
from chalicelib.blog.antispam import AntiSpam
from chalicelib.blog.articles import Articles
from chalicelib.blog.comment_counts import CommentCounts
from chalicelib.blog.comments import Comments
from chalicelib.blog.feeds import Feeds
from chalicelib.blog.moderation import Moderation
from chalicelib.blog.moderation_mail import ModerationMail
from chalicelib.blog.notifications import Notifications
from chalicelib.blog.personal_data import PersonalData
from chalicelib.blog.post_lists import PostLists
from chalicelib.blog.posts import Posts
from chalicelib.blog.previews import Previews
from chalicelib.blog.realworld import RealWorld
from chalicelib.blog.social import Social
from chalicelib.blog.threads import Threads
from chalicelib.blog.votes import Votes
from chalicelib.blog.webhooks import Webhooks
from chalicelib.settings import Settings, get_settings
from chalicelib.store.client import dynamodb_client, use_client
from chalicelib.store.table import Table


# A plain class, not a dataclass: creating a dataclass costs milliseconds at every cold start.
class Services:
    __slots__ = ("accounts", "articles", "comment_counts", "comments", "feeds", "moderation", "moderation_mail",
                 "notifications", "personal_data", "post_lists", "posts", "previews", "realworld", "settings",
                 "social", "votes", "webhooks")

    def __init__(self, *, settings: Settings, accounts: Accounts, posts: Posts, post_lists: PostLists,
                 comments: Comments, moderation: Moderation, votes: Votes, social: Social, articles: Articles,
                 realworld: RealWorld, feeds: Feeds, notifications: Notifications, previews: Previews,
                 webhooks: Webhooks, moderation_mail: ModerationMail, personal_data: PersonalData,
                 comment_counts: CommentCounts) -> None:
        self.settings = settings
        self.accounts = accounts
        self.posts = posts
        self.post_lists = post_lists
        self.comments = comments
        self.moderation = moderation
        self.votes = votes
        self.social = social
        self.articles = articles
        self.realworld = realworld
        self.feeds = feeds
        self.notifications = notifications
        self.previews = previews
        self.webhooks = webhooks
        self.moderation_mail = moderation_mail
        self.personal_data = personal_data
        self.comment_counts = comment_counts


_current: Services | None = None


def build(settings: Settings) -> Services:
    settings.check_secrets()
    views.use_gravatar(settings.gravatar)
    table = Table(dynamodb_client(), settings.table_name)
    social = Social(table)
    # Cursors get a key of their own, derived so that one secret less is needed.
    cursor_key = signing.derive_key(settings.edit_token_key, "cursor-signing")
    # Stored hashes outlive edit tokens: their key is a secret of its own (HASH_KEY).
    antispam = AntiSpam(settings, signing.derive_key(settings.hash_key, "anti-spam"))
    threads = Threads(table)
    posts = Posts(table, cursor_key, settings.open_authoring, settings.comments_close_after_days)
    comments = Comments(table, settings, cursor_key, antispam, threads)
    articles = Articles(table, social)
    moderation = Moderation(table, cursor_key, threads, antispam, settings)
    accounts = Accounts(table, settings, cursor_key)
    notifications = Notifications(table, settings, antispam)
    votes = Votes(table, threads, antispam)
    return Services(
        settings=settings,
        accounts=accounts,
        posts=posts,
        post_lists=PostLists(table, cursor_key),
        comments=comments,
        moderation=moderation,
        votes=votes,
        social=social,
        articles=articles,
        realworld=RealWorld(posts, comments, articles, social),
        feeds=Feeds(table, settings.site_url),
        notifications=notifications,
        previews=Previews(table, settings, antispam, settings.open_authoring),
        webhooks=Webhooks(table, settings.webhooks, settings.webhook_secret, settings.site_url),
        moderation_mail=ModerationMail(table, settings, notifications, moderation),
        personal_data=PersonalData(table, settings, cursor_key, antispam, threads, accounts, notifications, votes),
        comment_counts=CommentCounts(table),
    )


def services() -> Services:
    global _current
    if _current is None:
        _current = build(get_settings())
    return _current


def reset(settings: Settings | None = None) -> None:
    """Forget settings, client and services; or rebuild the services with the given settings.

    With settings, the DynamoDB client stays: tests keep their recorders on it.
    """
    global _current
    if settings is not None:
        _current = build(settings)
        return
    get_settings.cache_clear()
    use_client(None)
    _current = None
