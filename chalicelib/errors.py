"""Domain errors. The HTTP layer maps each to a status in one place (api/problems.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self, TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """A request the domain refuses; ``detail`` is shown to the caller."""

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}

    def with_errors(self, errors: dict[str, list[str]]) -> Self:
        """The same refusal naming ``errors`` instead; this one is left as it is (it may be shared)."""
        copy = type(self).__new__(type(self), *self.args)  # no __init__: a subclass's may take more
        copy.__dict__.update(self.__dict__)
        copy.errors = errors
        return copy


class Invalid(DomainError):
    """Input that breaks a rule: wrong type, too long, missing, malformed."""

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls(f"{name}: {message}", {name: [message]})


class BadRequest(DomainError):
    """A request that cannot even be read: malformed JSON, a forged cursor."""


class Unauthenticated(DomainError):
    """No credentials, or credentials that do not verify."""


class Forbidden(DomainError):
    """Known caller, not allowed to do this."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """The request clashes with what exists (taken username, published slug)."""


class PreconditionFailed(DomainError):
    """If-Match named a version that is no longer current."""


class PayloadTooLarge(DomainError):
    pass


class RateLimited(DomainError):
    """Too many requests for now; the caller may try again after ``retry_after`` seconds."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


class Unavailable(DomainError):
    """A service this request depends on (an OpenID Connect issuer) cannot be reached or answers nonsense."""


class Moved(Exception):
    """A post asked for by an old slug (an alias): it now lives at ``slug``.

    Not a refusal: the native API answers a redirect (routing.py), the RealWorld API the post itself.
    """

    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


def followed(slug: str, call: Callable[[str], T]) -> T:
    """``call(slug)``, or, when ``slug`` is an old slug of a post (Moved), ``call`` on its current slug.

    For the RealWorld API, whose clients take no redirects: an old slug answers as its post does.
    """
    try:
        return call(slug)
    except Moved as moved:
        return call(moved.slug)


class ConfigurationError(Exception):
    """The deployment is missing a setting; not the caller's fault."""
