"""The RealWorld (Conduit) wire format: wrapped bodies, camelCase, its error form.

Requests are unwrapped by allow-list ({"user": {...}}, {"article": {...}}):
only the fields Conduit defines are passed on, renamed to the native ones, so
the same validation rules apply to both APIs. Extra fields that Conduit
frontends may send are dropped rather than refused.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.api.problems import from_exception
from chalicelib.errors import Invalid

if TYPE_CHECKING:
    from chalicelib.blog.social import Relations

# Native field names as Conduit frontends know them, for error messages.
_CONDUIT_NAMES = {"summary": "description", "labels": "tagList"}


def unwrap(payload: Any, wrapper: str, fields: dict[str, str], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """``{wrapper: {conduit_name: value}}`` -> ``{native_name: value}`` for the allowed fields.

    ``required`` names the fields Conduit requires where the native API has a
    default (an article's description: natively, a summary is made from the body).
    """
    inner = payload.get(wrapper) if isinstance(payload, dict) else None
    if not isinstance(inner, dict):
        raise Invalid(f'the body must be a JSON object {{"{wrapper}": {{...}}}}', {wrapper: ["is required"]})
    missing = [name for name in required if name not in inner]
    if missing:
        raise Invalid("the request has invalid fields: " + "; ".join(f"{name} is required" for name in missing),
                      {name: ["is required"] for name in missing})
    return {native: inner[conduit] for conduit, native in fields.items() if conduit in inner}


def without_blanks(fields: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """``fields`` less those of ``names`` sent as empty strings."""
    return {name: value for name, value in fields.items() if not (name in names and value == "")}


def error(problem_source: Exception) -> Response:
    """The one error mapping (problems.py), rendered as {"errors": {"body": [...], field: [...]}}."""
    problem = from_exception(problem_source)
    details = json.loads(problem.body)
    messages: dict[str, list[str]] = {"body": [details["detail"]]}
    for field, field_messages in details["errors"].items():
        messages.setdefault(_CONDUIT_NAMES.get(field, field), []).extend(field_messages)
    # Conduit reports every refusal of input (taken names, unreadable bodies) as 422.
    status = 422 if problem.status_code in (400, 409) else problem.status_code
    headers = {k: v for k, v in problem.headers.items() if k != "Content-Type"}
    return Response(body={"errors": messages}, status_code=status,
                    headers={**headers, "Content-Type": "application/json"})


def user(session: dict[str, Any]) -> dict[str, Any]:
    account = session["user"]
    return {"user": {"email": account["email"], "token": session["token"], "username": account["username"],
                     "bio": account.get("bio"), "image": account.get("image")}}


def profile(relations: Relations | None, username: str, avatar: str | None = None) -> dict[str, Any]:
    """A person; a commenter without an account (``relations`` None) has only a name (and perhaps an avatar)."""
    account = relations.user(username) if relations else None
    return {
        "username": account["username"] if account else username,
        "bio": account.get("bio") if account else None,
        "image": (account.get("image") if account else None) or avatar,
        "following": relations.follows(username) if relations else False,
    }


def article(post: dict[str, Any], relations: Relations, with_body: bool = True) -> dict[str, Any]:
    shaped = {
        "slug": post["slug"],
        "title": post["title"],
        "description": post["summary"],
        # Conduit lists tags alphabetically (its suite checks the order).
        "tagList": sorted(post["labels"], key=str.casefold),
        "createdAt": post["created_at"],
        "updatedAt": post["updated_at"],
        "favorited": post["slug"] in relations.favorited,
        "favoritesCount": post["favorites_count"],
        "author": profile(relations, post["author"]),
    }
    if with_body:
        shaped["body"] = post["body"]
    return shaped


def comment(view: dict[str, Any], relations: Relations) -> dict[str, Any]:
    author = view["author"]
    # A commenter without an account is no user: never matched to one by name, never followed.
    person = profile(relations, author["username"]) if author["username"] else profile(
        None, author["name"], author["avatar"])
    return {
        "id": view["id"],
        "createdAt": view["created_at"],
        "updatedAt": view["edited_at"] or view["created_at"],
        "body": view["body"],
        "author": person,
    }
