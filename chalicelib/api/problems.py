"""The one place that turns domain errors into HTTP: RFC 9457 problem details."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from chalice.app import Response

from chalicelib import errors
from chalicelib.store.client import retry_after

logger = logging.getLogger(__name__)

_STATUS: dict[type[Exception], int] = {
    errors.Invalid: 422,
    errors.BadRequest: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PreconditionFailed: 412,
    errors.PayloadTooLarge: 413,
    errors.RateLimited: 429,
    errors.Unavailable: 502,
}


def problem(status: int, detail: str, field_errors: dict[str, list[str]] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "errors": field_errors or {},
    }
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/problem+json", **(headers or {})},
    )


def from_exception(error: Exception) -> Response:
    if isinstance(error, errors.DomainError):
        # A refusal the map does not know yet is still the caller's, never a 500.
        status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 400)
        headers = {"WWW-Authenticate": 'Bearer realm="blog"'} if status == 401 else {}
        if isinstance(error, errors.RateLimited):
            headers["Retry-After"] = str(error.retry_after)
        return problem(status, error.detail, error.errors, headers)
    if isinstance(error, errors.ConfigurationError):
        logger.error("configuration error: %s", error)
        return problem(503, "the service is not configured yet; its operator has been told")
    wait = retry_after(error)
    if wait is not None:
        # Throttled, timed out or unreachable after the client's bounded retries:
        # a passing condition, so the caller is told when to try again.
        logger.warning("AWS unavailable: %s: %s", type(error).__name__, error)
        return problem(503, "the blog's database is busy or slow right now; send the request again shortly",
                       headers={"Retry-After": str(wait)})
    logger.exception("unhandled error")
    return problem(500, "something went wrong on our side; nothing was changed by this request")


def from_chalice_refusal(response: Response) -> Response:
    """Chalice's own refusals, made before any view runs, as problem details like every other failure.

    Chalice answers a Content-Type the route does not take with 415 (on any method) and
    an unknown method with 405, each as ``{"Code", "Message"}``; anything else passes as it is.
    """
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or set(body) != {"Code", "Message"}:
        return response
    headers = {name: str(value) for name, value in response.headers.items() if name.lower() != "content-type"}
    return problem(response.status_code, str(body["Message"]), headers=headers)

