"""Steps for comment-engine tests: changed settings, moved time, a comment sent."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib import services as services_module
from chalicelib.blog import clock as clock_module
from chalicelib.settings import Settings, load_settings
from deploy.stage_config import stage_environment

if TYPE_CHECKING:
    from tests.conftest import Api, Reply


def stage_settings(**env: str) -> Settings:
    """The settings a request of the test stage sees, with some variables changed."""
    return load_settings({**os.environ, **stage_environment("test"), **env})


def configurer() -> Callable[..., Settings]:
    """configure(NAME="value", ...): rebuild the services with the test stage's settings, changed.

    services.reset(settings) keeps the DynamoDB client, so the `dynamo` recorder keeps counting.
    """
    def apply(**env: str) -> Settings:
        settings = stage_settings(**env)
        services_module.reset(settings)
        return settings
    return apply


class Clock:
    """Moves time as the service sees it: chalicelib.blog.clock, the one source of time (no sleeps)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = 0.0
        real_now = clock_module.now
        monkeypatch.setattr(clock_module, "now", lambda: real_now() + timedelta(seconds=self.offset))

    def time(self) -> float:
        return clock_module.now().timestamp()

    def advance(self, seconds: float = 0, **delta: float) -> None:
        """Move on by ``seconds``, or by timedelta's units (``days=3``)."""
        self.offset += seconds + timedelta(**delta).total_seconds()

    def align(self, seconds: int) -> None:
        """Move to one second into a fresh window of `seconds`, so a test never straddles two."""
        self.advance(seconds - int(self.time()) % seconds + 1)


def send(api: Api, slug: str, body: str = "Nice post.", token: str | None = None, **fields: Any) -> Reply:
    payload = {"body": body, **({} if token else {"author_name": "Ann"}), **fields}
    return api.post(f"/posts/{slug}/comments", payload, token=token)


def comment_count(api: Api, slug: str) -> int:
    """The post's comment_count, as a reader reads it."""
    reply = api.get(f"/posts/{slug}")
    assert reply.status == 200, reply.body
    return int(reply.json["comment_count"])


def confirm_email(api: Api, address: str) -> None:
    """The owner of ``address`` follows the link a confirmation request would carry (a POST, as its button sends)."""
    notifications = services_module.services().notifications
    token = notifications.confirm_token(address, clock_module.epoch() + 3600)
    reply = api.post(f"/email/confirm?token={token}")
    assert reply.status == 200, reply.body
