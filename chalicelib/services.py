"""Composition root: builds each service once per container, from settings and the one client.

Each service is built on its first use, and its module imported only then: a
cold start pays for the code its first request touches, not for the mail,
export, webhook or moderation code most requests never reach (bench/coldstart.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.settings import Settings, get_settings
from chalicelib.store.client import dynamodb_client, use_client
from chalicelib.store.table import Table

if TYPE_CHECKING:
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


# A plain class, not a dataclass: creating a dataclass costs milliseconds at every cold start.
# Services that share a collaborator (threads, antispam, accounts…) share the one instance.
class Services:
    __slots__ = ("_accounts", "_antispam", "_articles", "_comment_counts", "_comments", "_cursor_key", "_feeds",
                 "_moderation", "_moderation_mail", "_notifications", "_personal_data", "_post_lists", "_posts",
                 "_previews", "_realworld", "_social", "_threads", "_votes", "_webhooks", "settings", "table")

    def __init__(self, settings: Settings, table: Table) -> None:
        self.settings = settings
        self.table = table
        self._cursor_key: bytes | None = None
        self._antispam: AntiSpam | None = None
        self._threads: Threads | None = None
        self._social: Social | None = None
        self._accounts: Accounts | None = None
        self._posts: Posts | None = None
        self._post_lists: PostLists | None = None
        self._comments: Comments | None = None
        self._moderation: Moderation | None = None
        self._votes: Votes | None = None
        self._articles: Articles | None = None
        self._realworld: RealWorld | None = None
        self._feeds: Feeds | None = None
        self._notifications: Notifications | None = None
        self._previews: Previews | None = None
        self._webhooks: Webhooks | None = None
        self._moderation_mail: ModerationMail | None = None
        self._personal_data: PersonalData | None = None
        self._comment_counts: CommentCounts | None = None

    @property
    def cursor_key(self) -> bytes:
        # Cursors get a key of their own, derived so that one secret less is needed.
        if self._cursor_key is None:
            from chalicelib import signing
            self._cursor_key = signing.derive_key(self.settings.edit_token_key, "cursor-signing")
        return self._cursor_key

    @property
    def antispam(self) -> AntiSpam:
        if self._antispam is None:
            from chalicelib import signing
            from chalicelib.blog.antispam import AntiSpam
            # Stored hashes outlive edit tokens: their key is a secret of its own (HASH_KEY).
            self._antispam = AntiSpam(self.settings, signing.derive_key(self.settings.hash_key, "anti-spam"))
        return self._antispam

    @property
    def threads(self) -> Threads:
        if self._threads is None:
            from chalicelib.blog.threads import Threads
            self._threads = Threads(self.table)
        return self._threads

    @property
    def social(self) -> Social:
        if self._social is None:
            from chalicelib.blog.social import Social
            self._social = Social(self.table)
        return self._social

    @property
    def accounts(self) -> Accounts:
        if self._accounts is None:
            from chalicelib.blog.accounts import Accounts
            self._accounts = Accounts(self.table, self.settings, self.cursor_key)
        return self._accounts

    @property
    def posts(self) -> Posts:
        if self._posts is None:
            from chalicelib.blog.posts import Posts
            self._posts = Posts(self.table, self.cursor_key, self.settings.open_authoring,
                                self.settings.comments_close_after_days)
        return self._posts

    @property
    def post_lists(self) -> PostLists:
        if self._post_lists is None:
            from chalicelib.blog.post_lists import PostLists
            self._post_lists = PostLists(self.table, self.cursor_key)
        return self._post_lists

    @property
    def comments(self) -> Comments:
        if self._comments is None:
            from chalicelib.blog.comments import Comments
            self._comments = Comments(self.table, self.settings, self.cursor_key, self.antispam, self.threads)
        return self._comments

    @property
    def moderation(self) -> Moderation:
        if self._moderation is None:
            from chalicelib.blog.moderation import Moderation
            self._moderation = Moderation(self.table, self.cursor_key, self.threads, self.antispam, self.settings)
        return self._moderation

    @property
    def votes(self) -> Votes:
        if self._votes is None:
            from chalicelib.blog.votes import Votes
            self._votes = Votes(self.table, self.threads, self.antispam)
        return self._votes

    @property
    def articles(self) -> Articles:
        if self._articles is None:
            from chalicelib.blog.articles import Articles
            self._articles = Articles(self.table, self.social)
        return self._articles

    @property
    def realworld(self) -> RealWorld:
        if self._realworld is None:
            from chalicelib.blog.realworld import RealWorld
            self._realworld = RealWorld(self.posts, self.comments, self.articles, self.social)
        return self._realworld

    @property
    def feeds(self) -> Feeds:
        if self._feeds is None:
            from chalicelib.blog.feeds import Feeds
            self._feeds = Feeds(self.table, self.settings.site_url)
        return self._feeds

    @property
    def notifications(self) -> Notifications:
        if self._notifications is None:
            from chalicelib.blog.notifications import Notifications
            self._notifications = Notifications(self.table, self.settings, self.antispam)
        return self._notifications

    @property
    def previews(self) -> Previews:
        if self._previews is None:
            from chalicelib.blog.previews import Previews
            self._previews = Previews(self.table, self.settings, self.antispam, self.settings.open_authoring)
        return self._previews

    @property
    def webhooks(self) -> Webhooks:
        if self._webhooks is None:
            from chalicelib.blog.webhooks import Webhooks
            s = self.settings
            self._webhooks = Webhooks(self.table, s.webhooks, s.webhook_secret, s.site_url)
        return self._webhooks

    @property
    def moderation_mail(self) -> ModerationMail:
        if self._moderation_mail is None:
            from chalicelib.blog.moderation_mail import ModerationMail
            self._moderation_mail = ModerationMail(self.table, self.settings, self.notifications, self.moderation)
        return self._moderation_mail

    @property
    def personal_data(self) -> PersonalData:
        if self._personal_data is None:
            from chalicelib.blog.personal_data import PersonalData
            self._personal_data = PersonalData(self.table, self.settings, self.cursor_key, self.antispam,
                                               self.threads, self.accounts, self.notifications, self.votes)
        return self._personal_data

    @property
    def comment_counts(self) -> CommentCounts:
        if self._comment_counts is None:
            from chalicelib.blog.comment_counts import CommentCounts
            self._comment_counts = CommentCounts(self.table)
        return self._comment_counts


_current: Services | None = None


def build(settings: Settings) -> Services:
    from chalicelib.blog import views

    settings.check_secrets()
    views.use_gravatar(settings.gravatar)
    return Services(settings, Table(dynamodb_client(), settings.table_name))


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
