"""Composition root: builds the services once per container, from settings and the one client."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from chalicelib.blog.accounts import Accounts
from chalicelib.blog.articles import Articles
from chalicelib.blog.comments import Comments
from chalicelib.blog.posts import Posts
from chalicelib.blog.social import Social
from chalicelib.settings import Settings, get_settings
from chalicelib.store.client import dynamodb_client, use_client
from chalicelib.store.table import Table


@dataclass(frozen=True)
class Services:
    settings: Settings
    accounts: Accounts
    posts: Posts
    comments: Comments
    social: Social
    articles: Articles


_current: Services | None = None


def build(settings: Settings) -> Services:
    settings.check_secrets()
    table = Table(dynamodb_client(), settings.table_name)
    social = Social(table)
    # Cursors get a key of their own, derived so that one secret less is needed.
    cursor_key = hmac.new(settings.edit_token_key.encode(), b"cursor-signing", hashlib.sha256).digest()
    return Services(
        settings=settings,
        accounts=Accounts(table, settings),
        posts=Posts(table, cursor_key, settings.open_authoring),
        comments=Comments(table, settings, cursor_key),
        social=social,
        articles=Articles(table, social),
    )


def services() -> Services:
    global _current
    if _current is None:
        _current = build(get_settings())
    return _current


def reset(settings: Settings | None = None) -> None:
    """Forget settings, client and services; tests may pass settings of their own."""
    global _current
    get_settings.cache_clear()
    use_client(None)
    _current = build(settings) if settings is not None else None
