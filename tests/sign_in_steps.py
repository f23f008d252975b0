"""A mailed sign-in link made as the stream makes one, without the mail: for tests of the routes it opens."""

from __future__ import annotations

import itertools

from chalicelib.blog import records
from chalicelib.services import services
from chalicelib.store.table import put

_serial = itertools.count(1)


def sign_in_link(expires: int, email: str = "reader@example.com",
                 return_to: str = "https://blog.test.example/posts/hello") -> str:
    """The token of a new, unused link for ``email`` (an address without an account, unless one is made)."""
    link_id = f"01JS{next(_serial):022d}"
    services().table.write(put(records.sign_in_link(link_id, email, return_to, expires, None)))
    return services().email_sign_in.token(link_id, expires)
