"""Asking for a mailed link as a reader would, and reading the link from the outbox.

The request goes to the API; its item is then delivered to the stream handler, which mails the
link (moto's SES). Each request gets the next of a series of ids, so a test can name its item.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from tests.conftest import Api, Reply
from tests.notifications.test_notifications import Stream, to


class MailedLinks:
    def __init__(self, api: Api, stream: Stream, monkeypatch: pytest.MonkeyPatch, *, route: str,
                 service: ModuleType, request_key: Callable[[str], dict[str, str]], link: str) -> None:
        """``service`` makes the request's ids (its ``new_ulid``), ``request_key`` keys its item, and
        ``link`` finds the link in a message: its group 1 is the link's path and query."""
        self.api, self.stream, self.monkeypatch = api, stream, monkeypatch
        self.route, self.service, self.request_key, self.pattern = route, service, request_key, link
        self.serial = 0

    def request(self, fields: dict[str, Any], address: str = "") -> Reply:
        """POST the route (from ``address``, when given), then the stream delivers the request item."""
        self.serial += 1
        request_id = f"01J{self.serial:023d}"
        self.monkeypatch.setattr(self.service, "new_ulid", lambda: request_id)
        if address:
            self.monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", address)
        reply = self.api.post(self.route, fields)
        if reply.status == 202:
            self.stream.deliver(self.stream.record("INSERT", None, self.stream.image(self.request_key(request_id))))
        return reply

    def link(self, email: str) -> str:
        """The path and query of the link in the last message to ``email``."""
        messages = to(email)
        assert messages, f"no link reached {email}"
        found = re.search(self.pattern, messages[-1].get_content())
        assert found is not None, messages[-1].get_content()
        return found[1]
