"""An environment in which nothing can reach real AWS: fake credentials, fresh keys, no endpoints."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def use_offline_aws() -> None:
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in ("AWS_PROFILE", "TABLE_NAME"):
            del os.environ[name]
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "JWT_SECRET": secrets.token_urlsafe(40),
        "EDIT_TOKEN_KEY": secrets.token_urlsafe(40),
        "HASH_KEY": secrets.token_urlsafe(40),
        "MAIL_LINK_KEY": secrets.token_urlsafe(40),
        "WEBHOOK_SECRET": secrets.token_urlsafe(40),
    })
    os.chdir(PROJECT)  # the Chalice test client reads .chalice/config.json from here
