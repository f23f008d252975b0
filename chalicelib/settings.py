"""Settings, read from the environment in one place and frozen.

Chalice copies a stage's ``environment_variables`` from ``.chalice/config.json``
into the environment, and the local runner lets its own environment win over
the stage file, so everything configurable arrives here as a string.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from chalicelib.errors import ConfigurationError


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    jwt_secret: str
    edit_token_key: str
    admins: frozenset[str]
    cors_origins: tuple[str, ...]
    anonymous_comments: bool
    open_authoring: bool
    edit_window_seconds: int
    max_reply_depth: int
    token_ttl_seconds: int
    password_cost: int

    def check_secrets(self) -> None:
        # A short key makes HMAC and JWT signatures guessable; refuse to serve with one.
        for name, value in (("JWT_SECRET", self.jwt_secret), ("EDIT_TOKEN_KEY", self.edit_token_key)):
            if len(value) < 32:
                raise ConfigurationError(f"{name} is not set (at least 32 characters)")


def _bool(raw: str, name: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}")


def _int(raw: str, name: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}")
    return value


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def load_settings(env: Mapping[str, str]) -> Settings:
    return Settings(
        stage=env.get("STAGE", "dev"),
        table_name=env.get("TABLE_NAME", "blog"),
        jwt_secret=env.get("JWT_SECRET", ""),
        edit_token_key=env.get("EDIT_TOKEN_KEY", ""),
        admins=frozenset(_csv(env.get("BLOG_ADMINS", ""))),
        cors_origins=_csv(env.get("CORS_ORIGINS", "*")),
        anonymous_comments=_bool(env.get("ANONYMOUS_COMMENTS", "true"), "ANONYMOUS_COMMENTS"),
        # true: any signed-up user may write posts (RealWorld's model); false: authors and admins.
        open_authoring=_bool(env.get("OPEN_AUTHORING", "false"), "OPEN_AUTHORING"),
        edit_window_seconds=_int(env.get("EDIT_WINDOW_SECONDS", "900"), "EDIT_WINDOW_SECONDS", 0),
        max_reply_depth=_int(env.get("MAX_REPLY_DEPTH", "5"), "MAX_REPLY_DEPTH", 0),
        token_ttl_seconds=_int(env.get("TOKEN_TTL_SECONDS", "604800"), "TOKEN_TTL_SECONDS", 60),
        # scrypt's N as a power of two: 2**14 uses 16 MiB per hash. Only the test
        # stage lowers it, so the suite can sign up hundreds of users quickly.
        password_cost=_int(env.get("PASSWORD_COST", "14"), "PASSWORD_COST", 10),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings(os.environ)
