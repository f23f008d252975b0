"""The code the docs show runs: each snippet file under docs/snippets/ is exercised here or in tests/browser.

The docs site includes these files (pymdownx.snippets), so what a reader copies is what was run.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from chalicelib.settings import Settings
from tests.conftest import Blog
from tests.notifications.test_notifications import Stream
from tests.notifications.test_webhooks import SECRET, Receiver, hooks, pauses, published, receivers, stream

SNIPPETS = Path(__file__).resolve().parents[2] / "docs" / "snippets"
__all__ = ["pauses", "receivers", "stream"]  # fixtures, used by name


def snippet(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SNIPPETS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_snippet_is_included_by_a_page() -> None:
    pages = "".join(page.read_text(encoding="utf-8") for page in (SNIPPETS.parent).glob("*.md"))
    unused = [path.name for path in SNIPPETS.iterdir() if f"docs/snippets/{path.name}" not in pages]
    assert not unused, f"snippets no page shows: {unused}"


def test_the_webhook_check_accepts_what_the_blog_sends_and_nothing_else(
        blog: Blog, stream: Stream, receivers: Callable[[], Receiver], configure: Callable[..., Settings],
        pauses: list[float]) -> None:
    verified = snippet("verify_webhook").verified
    # Given a receiver that got a real delivery
    receiver = receivers()
    hooks(configure, pauses, f"json:{receiver.url}")
    slug = blog.post(blog.author(), title="Checked")["slug"]
    stream.deliver(published(stream, slug, blog.comment(slug, body="Signed, sealed", author_name="Ann")))
    [(headers, body)] = receiver.received
    timestamp, signature = headers["x-blog-timestamp"], headers["x-blog-signature"]
    sent_at = float(timestamp)

    # Then the docs' check accepts it as sent, within five minutes of its timestamp
    assert verified(SECRET.encode(), timestamp, signature, body, now=sent_at + 60)
    # And refuses a changed body, another secret, another timestamp, a replay and a garbled signature
    assert not verified(SECRET.encode(), timestamp, signature, body.replace(b"Signed", b"Forged"), now=sent_at)
    assert not verified(b"another secret of forty characters....", timestamp, signature, body, now=sent_at)
    assert not verified(SECRET.encode(), str(int(timestamp) + 1), signature, body, now=sent_at)
    assert not verified(SECRET.encode(), timestamp, signature, body, now=sent_at + 301)
    assert not verified(SECRET.encode(), timestamp, "sha256=ünïcode", body, now=sent_at)
