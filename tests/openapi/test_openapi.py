"""The served OpenAPI document: valid 3.1, complete, and true to what the API answers."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema.exceptions import ValidationError
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from tests.conftest import Api, Blog
from tests.openapi_document import HTTP_METHODS, check_reply, component, resolve

# -- the document itself -----------------------------------------------------------


def test_served_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_document_lists_exactly_the_registered_routes(document: dict[str, Any]) -> None:
    from app import app

    # /api is the RealWorld API, described by its own public spec, not this document. HEAD is
    # documented once for all (every GET answers it), not as operations.
    registered = {(path, method.lower()) for path, methods in app.routes.items()
                  for method in methods if method not in ("OPTIONS", "HEAD") and not path.startswith("/api/")}
    documented = {(path, method) for path, item in document["paths"].items() for method in item
                  if method in HTTP_METHODS}
    assert documented == registered
    assert "Every GET operation also answers HEAD" in document["info"]["description"]


def test_every_get_route_answers_head_and_no_other_does() -> None:
    from app import app

    for path, methods in app.routes.items():
        assert ("GET" in methods) == ("HEAD" in methods), (path, sorted(methods))


def test_every_operation_has_an_id_and_success_response(document: dict[str, Any]) -> None:
    ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                ids.append(operation["operationId"])
                # A success, or (a browser's navigation: OIDC's start and callback) a 302 alone.
                assert any(code.startswith("2") for code in operation["responses"]) or \
                    "302" in operation["responses"], (path, method)
    assert len(ids) == len(set(ids))


def test_schemas_have_teeth(document: dict[str, Any]) -> None:
    """The validators used below really refuse wrong bodies (so passing them means something)."""
    problem = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "gone", "errors": {}}
    component(document, "Problem").validate(problem)
    with pytest.raises(ValidationError):
        component(document, "Problem").validate({k: v for k, v in problem.items() if k != "errors"})
    with pytest.raises(ValidationError):
        component(document, "Problem").validate({**problem, "errors": {"title": "not a list"}})
    with pytest.raises(ValidationError):
        component(document, "Health").validate({"status": "ok", "PK": "leaked"})
    with pytest.raises(ValidationError):
        component(document, "ArchivePage").validate({"items": [{"year": 2017, "month": "2017-13", "count": 1}],
                                                     "next_cursor": None})


# -- real responses against the document ----------------------------------------------


def test_account_responses_match(api: Api, blog: Blog, document: dict[str, Any]) -> None:
    signup = api.post("/auth/signup", {"username": "maria", "email": "Maria@Example.com",
                                       "password": "correct horse battery"})
    check_reply(document, signup, "/auth/signup", "post")
    component(document, "Session").validate(signup.json)
    login = api.post("/auth/login", {"email": "maria@example.com", "password": "correct horse battery"})
    check_reply(document, login, "/auth/login", "post")
    check_reply(document, api.get("/auth/me", token=login.json["token"]), "/auth/me", "get")
    role = api.put("/users/maria/role", {"role": "author"}, token=blog.admin())
    check_reply(document, role, "/users/{username}/role", "put")
    component(document, "User").validate(role.json)
    assert role.json["role"] == "author"
    check_reply(document, api.get("/health"), "/health", "get")


def test_post_responses_match(api: Api, blog: Blog, document: dict[str, Any]) -> None:
    author = blog.author("alice")
    created = api.post("/posts", {"title": "Ash Wednesday, 2017", "body": "Words *here*.",
                                  "labels": ["Lent", "poetry"]}, token=author)
    assert created.status == 201, created.body
    check_reply(document, created, "/posts", "post")
    assert created.headers["location"] == "/posts/ash-wednesday-2017"
    component(document, "Post").validate(created.json)

    read = api.get("/posts/ash-wednesday-2017")
    check_reply(document, read, "/posts/{slug}", "get")
    component(document, "Post").validate(read.json)

    edited = api.patch("/posts/ash-wednesday-2017", {"summary": "Short."}, token=author,
                       headers={"If-Match": read.headers["etag"]})
    check_reply(document, edited, "/posts/{slug}", "patch")
    assert edited.json["version"] == 2

    blog.post(author, status="draft", title="Unfinished")  # a draft has no published_at
    for query in ("", "?label=poetry", "?author=alice", "?status=draft", "?month=" + read.json["published_at"][:7]):
        listing = api.get("/posts" + query, token=author)
        assert listing.status == 200 and listing.json["items"], (query, listing.body)
        check_reply(document, listing, "/posts", "get")
        component(document, "PostPage").validate(listing.json)

    for path in ("/labels", "/archive"):
        counts = api.get(path + "?limit=1")
        check_reply(document, counts, path, "get")
        assert counts.json["items"], path
    assert api.get("/labels?limit=1").json["next_cursor"] is not None  # two labels, one per page

    deleted = api.delete("/posts/ash-wednesday-2017", token=author, headers={"If-Match": '"2"'})
    check_reply(document, deleted, "/posts/{slug}", "delete")
    assert deleted.status == 204


def test_comment_responses_match(api: Api, blog: Blog, document: dict[str, Any]) -> None:
    author = blog.author()
    slug = blog.post(author, title="Hello")["slug"]
    first = api.post(f"/posts/{slug}/comments", {"body": "First!", "author_name": "Ann",
                                                 "author_email": "ann@example.com",
                                                 "author_website": "https://ann.example"})
    check_reply(document, first, "/posts/{slug}/comments", "post")
    component(document, "CommentCreated").validate(first.json)
    parent = first.json["comment"]["id"]
    reply = blog.comment(slug, token=blog.user(), parent_id=parent)
    component(document, "CommentCreated").validate(reply)
    assert reply["comment"]["depth"] == 1

    edit = api.patch(f"/comments/{parent}", {"body": "First, edited."},
                     headers={"X-Edit-Token": first.json["edit_token"]})
    check_reply(document, edit, "/comments/{comment_id}", "patch")
    component(document, "Comment").validate(edit.json)
    assert edit.json["edited_at"] is not None

    # Deleting a comment with a reply leaves a placeholder: no author, empty text.
    gone = api.delete(f"/comments/{parent}", headers={"X-Edit-Token": first.json["edit_token"]})
    check_reply(document, gone, "/comments/{comment_id}", "delete")
    listing = api.get(f"/posts/{slug}/comments")
    check_reply(document, listing, "/posts/{slug}/comments", "get")
    component(document, "CommentPage").validate(listing.json)
    assert [c["status"] for c in listing.json["items"]] == ["deleted", "approved"]

    embedded = api.get(f"/posts/{slug}?embed=comments&comments_limit=1")
    check_reply(document, embedded, "/posts/{slug}", "get")
    component(document, "PostWithComments").validate(embedded.json)
    with pytest.raises(ValidationError):
        component(document, "Post").validate(embedded.json)
    assert embedded.json["comments_next_cursor"] is not None


def test_problem_responses_match(api: Api, blog: Blog, document: dict[str, Any]) -> None:
    author = blog.author()
    slug = blog.post(author)["slug"]
    invalid = api.post("/posts", {"title": "", "body": "x", "colour": "red"}, token=author)
    assert invalid.status == 422
    component(document, "Problem").validate(invalid.problem)
    assert set(invalid.problem["errors"]) == {"title", "colour"}
    check_reply(document, invalid, "/posts", "post")

    cases = [
        (api.post("/posts", raw=b"{not json", headers={"Content-Type": "application/json"}, token=author),
         "/posts", "post", 400),
        (api.get("/posts?cursor=forged.cursor"), "/posts", "get", 400),
        (api.get("/posts?limit=101"), "/posts", "get", 422),
        (api.get("/posts?status=draft"), "/posts", "get", 403),
        (api.post("/posts", {"title": "t", "body": "b"}, token=blog.user()), "/posts", "post", 403),
        (api.get("/auth/me"), "/auth/me", "get", 401),
        (api.get("/posts/no-such-post"), "/posts/{slug}", "get", 404),
        (api.patch(f"/posts/{slug}", {"title": "New"}, token=author, headers={"If-Match": '"9"'}),
         "/posts/{slug}", "patch", 412),
        (api.post("/posts", {"title": "Again", "body": "b", "slug": slug}, token=author), "/posts", "post", 409),
        (api.post("/auth/signup", raw=b"[" * (1024 * 1024 + 1)), "/auth/signup", "post", 413),
        (api.delete("/comments/01ARZ3NDEKTSV4RRFFQ69G5FAV"), "/comments/{comment_id}", "delete", 404),
    ]
    for reply, path, method, status in cases:
        assert reply.status == status, (path, method, reply.status, reply.body)
        check_reply(document, reply, path, method)
        component(document, "Problem").validate(reply.problem)


# -- documented request rules are the enforced ones ---------------------------------------


def request_schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    return resolve(document, {"$ref": f"#/components/schemas/{name}"})


@pytest.mark.parametrize(("name", "path", "method", "needs_author"), [
    ("SignupRequest", "/auth/signup", "post", False),
    ("LoginRequest", "/auth/login", "post", False),
    ("PostCreate", "/posts", "post", True),
    ("CommentCreate", "/posts/{slug}/comments", "post", False),
])
def test_required_and_unknown_fields_are_as_documented(api: Api, blog: Blog, document: dict[str, Any], name: str,
                                                       path: str, method: str, needs_author: bool) -> None:
    schema = request_schema(document, name)
    body_ref = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref == f"#/components/schemas/{name}"
    assert schema["additionalProperties"] is False
    token = blog.author() if needs_author else None
    url = path.replace("{slug}", blog.post(blog.author())["slug"] if "{slug}" in path else "")
    reply = api.request(method.upper(), url, {"unknown_field": 1}, token=token)
    assert reply.status == 422, reply.body
    assert set(reply.problem["errors"]) == {"unknown_field", *schema["required"]}


def test_documented_length_limits_are_enforced(api: Api, blog: Blog, document: dict[str, Any]) -> None:
    post = request_schema(document, "PostCreate")["properties"]
    author = blog.author()
    longest = post["title"]["maxLength"]
    labels = post["labels"]
    assert api.post("/posts", {"title": "t" * longest, "body": "b"}, token=author).status == 201
    assert api.post("/posts", {"title": "t" * (longest + 1), "body": "b"}, token=author).status == 422
    many = [f"l{i}" for i in range(labels["maxItems"] + 1)]
    assert api.post("/posts", {"title": "a", "body": "b", "labels": many[:-1]}, token=author).status == 201
    assert api.post("/posts", {"title": "b", "body": "b", "labels": many}, token=author).status == 422
    wide = labels["items"]["maxLength"]
    assert api.post("/posts", {"title": "c", "body": "b", "labels": ["x" * wide]}, token=author).status == 201
    assert api.post("/posts", {"title": "d", "body": "b", "labels": ["x" * (wide + 1)]}, token=author).status == 422

    comment = request_schema(document, "CommentCreate")["properties"]
    slug = blog.post(author)["slug"]
    for field in ("body", "author_name"):
        limit = comment[field]["maxLength"]
        fits = api.post(f"/posts/{slug}/comments", {"body": "hi", field: "w" * limit})
        assert fits.status == 201, (field, fits.body)
        too_long = api.post(f"/posts/{slug}/comments", {"body": "hi", field: "w" * (limit + 1)})
        assert too_long.status == 422 and field in too_long.problem["errors"], field

    limit_schema = resolve(document, {"$ref": "#/components/parameters/Limit"})["schema"]
    assert api.get(f"/posts?limit={limit_schema['maximum']}").status == 200
    assert api.get(f"/posts?limit={limit_schema['maximum'] + 1}").status == 422
    assert api.get(f"/posts?limit={limit_schema['minimum'] - 1}").status == 422
