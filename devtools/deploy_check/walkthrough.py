"""The README's walkthrough as API Gateway sends it: REST API proxy events to the deployed handler.

Each request is the event API Gateway's ``AWS_PROXY`` integration builds
(version 1.0): the route's resource template, the concrete path, headers,
query string, path parameters and the stage's request context.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

Invoke = Callable[[dict[str, Any]], Any]


class WalkthroughError(Exception):
    pass


def proxy_event(method: str, resource: str, params: dict[str, str] | None = None, body: Any = None,
                token: str | None = None, stage: str = "api") -> dict[str, Any]:
    params = params or {}
    path = resource
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    headers = {"Host": "example.execute-api.us-east-1.amazonaws.com", "Accept": "application/json",
               "Origin": "https://reader.example", "User-Agent": "deploy-check"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": params or None, "stageVariables": None,
        "requestContext": {
            "resourcePath": resource, "httpMethod": method, "path": f"/{stage}{path}", "stage": stage,
            "requestId": str(uuid.uuid4()), "accountId": "123456789012", "apiId": "example",
            "identity": {"sourceIp": "198.51.100.7", "userAgent": "deploy-check"},
            "domainName": "example.execute-api.us-east-1.amazonaws.com",
        },
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
    }


def call(invoke: Invoke, expect: int, method: str, resource: str, **kwargs: Any) -> Any:
    answer = invoke(proxy_event(method, resource, **kwargs))
    if answer.get("statusCode") != expect:
        raise WalkthroughError(f"{method} {resource}: {answer.get('statusCode')} (expected {expect}): "
                               f"{str(answer.get('body'))[:300]}")
    body = answer.get("body") or "null"
    return json.loads(body) if answer.get("headers", {}).get("Content-Type", "").endswith("json") else body


def walkthrough(invoke: Invoke, admin_email: str, admin_password: str) -> list[str]:
    """Health, sign-up, an author's post, a comment and a reply, the lists, passkey options; what each showed."""
    steps = []
    health = call(invoke, 200, "GET", "/health")
    steps.append(f"GET /health: {health}")
    writer = {"username": "writer1", "email": "writer1@example.com", "password": "a long passphrase"}
    call(invoke, 201, "POST", "/auth/signup", body=writer)
    steps.append("POST /auth/signup: 201")
    admin = call(invoke, 200, "POST", "/auth/login", body={"email": admin_email, "password": admin_password})
    call(invoke, 200, "PUT", "/users/{username}/role", params={"username": "writer1"},
         body={"role": "author"}, token=admin["token"])
    token = call(invoke, 200, "POST", "/auth/login", body={"email": writer["email"],
                                                           "password": writer["password"]})["token"]
    steps.append("the admin made writer1 an author")
    post = call(invoke, 201, "POST", "/posts", token=token,
                body={"title": "My first post", "body": "Hello, **world**.", "labels": ["hello"]})
    slug = post["slug"]
    read = call(invoke, 200, "GET", "/posts/{slug}", params={"slug": slug})
    if "<strong>world</strong>" not in json.dumps(read):
        raise WalkthroughError(f"the post's body is not rendered: {str(read)[:200]}")
    steps.append(f"POST /posts: 201 {slug}, read back rendered")
    comment = call(invoke, 201, "POST", "/posts/{slug}/comments", params={"slug": slug},
                   body={"body": "First!", "author_name": "Ann"})
    call(invoke, 201, "POST", "/posts/{slug}/comments", params={"slug": slug},
         body={"body": "Welcome, Ann.", "author_name": "Bob", "parent_id": comment["comment"]["id"]})
    thread = call(invoke, 200, "GET", "/posts/{slug}/comments", params={"slug": slug})
    bodies = [c.get("body_text") or c.get("body") for c in thread["items"]]
    if len(thread["items"]) != 2 or thread["items"][1].get("parent_id") != comment["comment"]["id"]:
        raise WalkthroughError(f"the thread is not the comment and its reply: {bodies}")
    steps.append("a comment and its reply, listed oldest first with parent_id")
    posts = call(invoke, 200, "GET", "/posts")
    if [p["slug"] for p in posts["items"]] != [slug]:
        raise WalkthroughError(f"GET /posts lists {[p['slug'] for p in posts['items']]}, not [{slug!r}]")
    steps.append(f"GET /posts lists the post, comment_count {posts['items'][0].get('comment_count')}")
    if posts["items"][0].get("comment_count") != 2:
        raise WalkthroughError(f"the post's comment_count is {posts['items'][0].get('comment_count')}, not 2")
    options = call(invoke, 200, "POST", "/auth/passkey-sign-in/options")
    if not options.get("ceremony") or not options.get("publicKey", {}).get("challenge"):
        raise WalkthroughError(f"the passkey sign-in options carry no ceremony or challenge: {str(options)[:200]}")
    steps.append("POST /auth/passkey-sign-in/options: 200, a challenge (py_webauthn from the zip's signin_libs/)")
    return steps
