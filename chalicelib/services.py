"""Composition root: builds each service once per container, from settings and the one client.

Each service is built on its first use, and its module imported only then: a
cold start pays for the code its first request touches, not for the mail,
export, webhook or moderation code most requests never reach (bench/coldstart.py).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.settings import Settings, get_settings
from chalicelib.store.client import dynamodb_client, use_client
from chalicelib.store.table import Table

if TYPE_CHECKING:
    from chalicelib.blog.accounts import Accounts
    from chalicelib.blog.akismet import Akismet
    from chalicelib.blog.antispam import AntiSpam
    from chalicelib.blog.articles import Articles
    from chalicelib.blog.banning import Bans
    from chalicelib.blog.comment_counts import CommentCounts
    from chalicelib.blog.comment_search import CommentSearch
    from chalicelib.blog.comments import Comments
    from chalicelib.blog.costs import Costs
    from chalicelib.blog.digests import Digests
    from chalicelib.blog.email_sign_in import EmailSignIn
    from chalicelib.blog.feeds import Feeds
    from chalicelib.blog.moderation import Moderation
    from chalicelib.blog.moderation_mail import ModerationMail
    from chalicelib.blog.notifications import Notifications
    from chalicelib.blog.passkeys import Passkeys
    from chalicelib.blog.password_resets import PasswordResets
    from chalicelib.blog.personal_data import PersonalData
    from chalicelib.blog.post_lists import PostLists
    from chalicelib.blog.posts import Posts
    from chalicelib.blog.previews import Previews
    from chalicelib.blog.reactions import Reactions
    from chalicelib.blog.realworld import RealWorld
    from chalicelib.blog.rename_job import RenameJobs
    from chalicelib.blog.search import Search
    from chalicelib.blog.social import Social
    from chalicelib.blog.subscriptions import Subscriptions
    from chalicelib.blog.thread_controls import ThreadControls
    from chalicelib.blog.threads import Threads
    from chalicelib.blog.votes import Votes
    from chalicelib.blog.webhooks import Webhooks


# A plain class, not a dataclass: creating a dataclass costs milliseconds at every cold start. Each service is
# a cached_property, built once on first use; services that share a collaborator (threads, antispam, accounts…)
# share the one instance.
class Services:
    def __init__(self, settings: Settings, table: Table) -> None:
        self.settings = settings
        self.table = table

    @cached_property
    def cursor_key(self) -> bytes:
        # Cursors get a key of their own, derived so that one secret less is needed.
        from chalicelib import signing
        return signing.derive_key(self.settings.edit_token_key, "cursor-signing")

    @cached_property
    def antispam(self) -> AntiSpam:
        from chalicelib import signing
        from chalicelib.blog.antispam import AntiSpam
        # Stored hashes outlive edit tokens: their key is a secret of its own (HASH_KEY).
        previous = self.settings.hash_key_previous
        return AntiSpam(self.settings, signing.derive_key(self.settings.hash_key, "anti-spam"),
                        signing.derive_key(previous, "anti-spam") if previous else None)

    @cached_property
    def threads(self) -> Threads:
        from chalicelib.blog.threads import Threads
        return Threads(self.table)

    @cached_property
    def social(self) -> Social:
        from chalicelib.blog.social import Social
        return Social(self.table, self.settings.admins)

    @cached_property
    def accounts(self) -> Accounts:
        from chalicelib.blog.accounts import Accounts
        return Accounts(self.table, self.settings, self.cursor_key)

    @cached_property
    def posts(self) -> Posts:
        from chalicelib.blog.posts import Posts
        return Posts(self.table, self.cursor_key, self.settings.open_authoring,
                     self.settings.comments_close_after_days, lambda: self.comments.rules())

    @cached_property
    def post_lists(self) -> PostLists:
        from chalicelib.blog.post_lists import PostLists
        return PostLists(self.table, self.cursor_key)

    @cached_property
    def comments(self) -> Comments:
        from chalicelib.blog.comments import Comments
        return Comments(self.table, self.settings, self.cursor_key, self.antispam, self.threads)

    @cached_property
    def thread_controls(self) -> ThreadControls:
        from chalicelib.blog.thread_controls import ThreadControls
        return ThreadControls(self.table, self.threads)

    @cached_property
    def moderation(self) -> Moderation:
        from chalicelib.blog.moderation import Moderation
        return Moderation(self.table, self.cursor_key, self.threads, self.antispam, self.settings)

    @cached_property
    def bans(self) -> Bans:
        from chalicelib.blog.banning import Bans
        return Bans(self.table, self.settings, self.cursor_key, self.antispam, self.threads)

    @cached_property
    def votes(self) -> Votes:
        from chalicelib.blog.votes import Votes
        return Votes(self.table, self.threads, self.antispam)

    @cached_property
    def reactions(self) -> Reactions:
        from chalicelib.blog.reactions import Reactions
        return Reactions(self.table, self.threads, self.antispam, self.settings.reactions)

    @cached_property
    def articles(self) -> Articles:
        from chalicelib.blog.articles import Articles
        return Articles(self.table, self.social)

    @cached_property
    def realworld(self) -> RealWorld:
        from chalicelib.blog.realworld import RealWorld
        return RealWorld(self.posts, self.comments, self.articles, self.social)

    @cached_property
    def feeds(self) -> Feeds:
        from chalicelib.blog.feeds import Feeds
        return Feeds(self.table, self.settings.site_url)

    @cached_property
    def notifications(self) -> Notifications:
        from chalicelib.blog.notifications import Notifications
        return Notifications(self.table, self.settings, self.antispam)

    @cached_property
    def previews(self) -> Previews:
        from chalicelib.blog.previews import Previews
        return Previews(self.table, self.settings, self.antispam, self.settings.open_authoring)

    @cached_property
    def webhooks(self) -> Webhooks:
        from chalicelib.blog.webhooks import Webhooks
        return Webhooks(self.table, self.settings.webhooks, self.settings.webhook_secret, self.settings.site_url)

    @cached_property
    def moderation_mail(self) -> ModerationMail:
        from chalicelib.blog.moderation_mail import ModerationMail
        return ModerationMail(self.table, self.settings, self.notifications, self.moderation)

    @cached_property
    def password_resets(self) -> PasswordResets:
        from chalicelib.blog.password_resets import PasswordResets
        return PasswordResets(self.table, self.settings, self.antispam, self.notifications)

    @cached_property
    def email_sign_in(self) -> EmailSignIn:
        from chalicelib.blog.email_sign_in import EmailSignIn
        return EmailSignIn(self.table, self.settings, self.antispam, self.notifications, self.accounts)

    @cached_property
    def passkeys(self) -> Passkeys:
        from chalicelib.blog.passkeys import Passkeys  # py_webauthn is imported by its methods, on first use
        return Passkeys(self.table, self.settings, self.accounts, self.antispam, self.cursor_key)

    @cached_property
    def personal_data(self) -> PersonalData:
        from chalicelib.blog.personal_data import PersonalData
        return PersonalData(self.table, self.settings, self.cursor_key, self.antispam,
                            self.threads, self.accounts, self.notifications, self.votes, self.subscriptions)

    @cached_property
    def subscriptions(self) -> Subscriptions:
        from chalicelib.blog.subscriptions import Subscriptions
        return Subscriptions(self.table, self.settings, self.antispam, self.notifications)

    @cached_property
    def digests(self) -> Digests:
        from chalicelib.blog.digests import Digests
        return Digests(self.table, self.subscriptions)

    @cached_property
    def rename_jobs(self) -> RenameJobs:
        from chalicelib.blog.rename_job import RenameJobs
        return RenameJobs(self.table)

    @cached_property
    def search(self) -> Search:
        from chalicelib.blog.search import Search
        return Search(self.table, self.cursor_key)

    @cached_property
    def comment_search(self) -> CommentSearch:
        from chalicelib.blog.comment_search import CommentSearch
        return CommentSearch(self.table, self.cursor_key)

    @cached_property
    def costs(self) -> Costs:
        from chalicelib.blog.costs import Costs
        from chalicelib.store.client import cloudwatch_client
        return Costs(self.settings.stage, cloudwatch_client())

    @cached_property
    def akismet(self) -> Akismet:
        from chalicelib.blog.akismet import Akismet
        return Akismet(self.table, self.settings, self.moderation, self.threads)

    @cached_property
    def comment_counts(self) -> CommentCounts:
        from chalicelib.blog.comment_counts import CommentCounts
        return CommentCounts(self.table)


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
