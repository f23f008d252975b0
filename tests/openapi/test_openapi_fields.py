"""Every field limit the code enforces is the one the OpenAPI document states.

The field tables (``read_fields`` specs in chalicelib/blog) are the behaviour; each rule
object is read for its limits (``Text.max_length``, ``Integer.minimum``, ``Choice.options``…)
and compared with the request-body schema of the operation that reads the table. Where a
rule keeps a limit inside its code rather than in an attribute (an e-mail address's length,
a label's minimum, a username's or slug's shortest form), the rule itself is asked: the
longest or shortest value it accepts is found by trying it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

from chalicelib import blog as blog_package
from chalicelib.blog import (
    accounts,
    banning,
    comment_creation,
    comment_edits,
    email_sign_in,
    moderation,
    oidc_sign_in,
    passkeys,
    password_resets,
    personal_data,
    posts,
    previews,
    reactions,
    subscriptions,
    thread_controls,
    votes,
)
from chalicelib.blog.validation import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Choice,
    DateTime,
    Email,
    Field,
    FieldError,
    Flag,
    Integer,
    Labels,
    Text,
    Url,
)
from tests.openapi_document import is_json, load_document, merged, operations, request_body_schema, resolve

FieldTable = Mapping[str, Field]

# Each table, and the operation whose JSON body it reads.
FIELD_TABLES: dict[str, tuple[FieldTable, str, str]] = {
    "posts.CREATE_FIELDS": (posts.CREATE_FIELDS, "/posts", "post"),
    "posts.UPDATE_FIELDS": (posts.UPDATE_FIELDS, "/posts/{slug}", "patch"),
    "comment_creation.CREATE_FIELDS": (comment_creation.CREATE_FIELDS, "/posts/{slug}/comments", "post"),
    "comment_edits.EDIT_FIELDS": (comment_edits.EDIT_FIELDS, "/comments/{comment_id}", "patch"),
    "accounts.SIGNUP_FIELDS": (accounts.SIGNUP_FIELDS, "/auth/signup", "post"),
    "accounts.LOGIN_FIELDS": (accounts.LOGIN_FIELDS, "/auth/login", "post"),
    "accounts.ROLE_FIELDS": (accounts.ROLE_FIELDS, "/users/{username}/role", "put"),
    "accounts.SETTINGS_FIELDS": (accounts.SETTINGS_FIELDS, "/auth/me", "patch"),
    "votes.VOTE_FIELDS": (votes.VOTE_FIELDS, "/comments/{comment_id}/vote", "post"),
    "reactions.REACTION_FIELDS": (reactions.REACTION_FIELDS, "/comments/{comment_id}/reactions", "post"),
    "reactions.REACTION_FIELDS on a post": (reactions.REACTION_FIELDS, "/posts/{slug}/reactions", "post"),
    "moderation.ACTION_FIELDS": (moderation.ACTION_FIELDS, "/comments/{comment_id}/moderate", "post"),
    "banning.BAN_FIELDS": (banning.BAN_FIELDS, "/moderation/bans", "post"),
    # A comment preview reads a narrower table: the comment's own body rule (tests/posts/test_previews.py).
    "previews.POST_PREVIEW_FIELDS": (previews.POST_PREVIEW_FIELDS, "/preview", "post"),
    "personal_data.DELETE_FIELDS": (personal_data.DELETE_FIELDS, "/me", "delete"),
    "personal_data.REQUEST_FIELDS": (personal_data.REQUEST_FIELDS, "/data-requests", "post"),
    "password_resets.REQUEST_FIELDS": (password_resets.REQUEST_FIELDS, "/auth/password-reset", "post"),
    "accounts.RESET_FIELDS": (accounts.RESET_FIELDS, "/auth/password-reset/confirm", "post"),
    "subscriptions.FIELDS": (subscriptions.FIELDS, "/posts/{slug}/subscriptions", "post"),
    "thread_controls.PIN_FIELDS": (thread_controls.PIN_FIELDS, "/posts/{slug}/pin", "put"),
    "email_sign_in.REQUEST_FIELDS": (email_sign_in.REQUEST_FIELDS, "/auth/email-link", "post"),
    "email_sign_in.SESSION_FIELDS": (email_sign_in.SESSION_FIELDS, "/auth/email-link/session", "post"),
    "passkeys.REGISTER_FIELDS": (passkeys.REGISTER_FIELDS, "/auth/passkeys", "post"),
    "passkeys.SIGN_IN_FIELDS": (passkeys.SIGN_IN_FIELDS, "/auth/passkey-sign-in", "post"),
    "oidc_sign_in.SESSION_FIELDS": (oidc_sign_in.SESSION_FIELDS, "/auth/oidc/session", "post"),
}
# Tables no operation of this document reads: PUT /api/user (RealWorld, its own spec) reads PROFILE_FIELDS.
OTHER_API_TABLES: dict[str, FieldTable] = {"accounts.PROFILE_FIELDS": accounts.PROFILE_FIELDS}

DOCUMENT = load_document()


# -- asking a rule what it accepts -------------------------------------------------------------


def accepts(rule: Callable[[Any], Any], value: Any) -> bool:
    try:
        rule(value)
    except FieldError:
        return False
    return True


def longest_accepted(accepts_length: Callable[[int], bool], start: int) -> int:
    """The greatest length accepted, given that ``start`` is accepted and acceptance stops at some length."""
    assert accepts_length(start), start
    low, high = start, start * 2 + 1
    while accepts_length(high):
        low, high = high, high * 2
        assert high < 10_000_000, "no upper limit"
    while high - low > 1:  # accepted at low, refused at high
        middle = (low + high) // 2
        low, high = (middle, high) if accepts_length(middle) else (low, middle)
    return low


def shortest_accepted(accepts_length: Callable[[int], bool], limit: int) -> int:
    return next(n for n in range(limit + 1) if accepts_length(n))


def email_of_length(length: int) -> str:
    domain = "@example.com"
    return "a" * max(length - len(domain), 1) + domain


# -- what the schema should say about a rule ------------------------------------------------------


def expected_schema(rule: Callable[[Any], Any]) -> dict[str, Any]:
    """The JSON Schema keywords that state ``rule``'s limits, read from the rule itself."""
    if isinstance(rule, Choice):
        return {"type": "string", "enum": sorted(rule.options)}
    if isinstance(rule, Integer):
        return {"type": "integer", "minimum": rule.minimum, "maximum": rule.maximum}
    if isinstance(rule, Flag):
        return {"type": "boolean"}
    if isinstance(rule, passkeys.CredentialJson):  # its fields are checked by passkeys.read_credential
        return {"type": "object"}
    if isinstance(rule, DateTime):
        return {"type": "string"}
    if isinstance(rule, Labels):
        def label_fits(n: int) -> bool:
            return accepts(rule, ["x" * n])
        return {"type": "array", "maxItems": rule.max_items,
                "items": {"type": "string", "minLength": shortest_accepted(label_fits, rule.max_length),
                          "maxLength": rule.max_length}}
    if isinstance(rule, Url):
        return {"type": "string", "minLength": 0 if accepts(rule, "") else 1, "maxLength": rule.max_length}
    if isinstance(rule, Email):
        def address_fits(n: int) -> bool:
            return accepts(rule, email_of_length(n))
        return {"type": "string", "minLength": 0 if rule.allow_blank else 1,
                "maxLength": longest_accepted(address_fits, len(email_of_length(1)))}
    if isinstance(rule, Text):
        minimum = rule.min_length
        if type(rule) is not Text:
            # A refinement (Username, SlugRule) may refuse short values that Text would take. The sample neither
            # repeats one character nor runs in sequence, which a new password may not.
            minimum = shortest_accepted(lambda n: accepts(rule, ("ab" + "c" * n)[:n]), rule.max_length)
            assert minimum >= rule.min_length
        return {"type": "string", "minLength": minimum, "maxLength": rule.max_length}
    raise AssertionError(f"no schema is known for the rule {rule!r}: teach expected_schema about it")


def documented_keywords(document: dict[str, Any], schema: dict[str, Any], like: dict[str, Any]) -> dict[str, Any]:
    """The keywords of ``like`` as ``schema`` states them, with the defaults JSON Schema gives absent ones."""
    schema = merged(document, schema)
    found: dict[str, Any] = {}
    for keyword, wanted in like.items():
        if keyword == "type":
            types = schema.get("type")
            found[keyword] = next(t for t in (types if isinstance(types, list) else [types]) if t != "null")
        elif keyword == "minLength":
            found[keyword] = schema.get("minLength", 0)
        elif keyword == "enum":
            found[keyword] = sorted(schema["enum"]) if "enum" in schema else None
        elif keyword == "items":
            found[keyword] = documented_keywords(document, schema.get("items", {}), wanted)
        else:
            found[keyword] = schema.get(keyword)
    return found


def is_nullable(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    types = merged(document, schema).get("type")
    return isinstance(types, list) and "null" in types


# -- the tests ------------------------------------------------------------------------------------


def test_every_field_table_is_compared_or_known_to_belong_elsewhere() -> None:
    # Given every public *_FIELDS table of Field rules in chalicelib/blog (a table imported
    # elsewhere is the same object, so tables are told apart by identity)
    known = {id(table) for table, _, _ in FIELD_TABLES.values()} | {id(t) for t in OTHER_API_TABLES.values()}
    unknown = []
    for module_info in pkgutil.iter_modules(blog_package.__path__):
        module = importlib.import_module(f"chalicelib.blog.{module_info.name}")
        for name, value in vars(module).items():
            if (name.endswith("FIELDS") and not name.startswith("_") and isinstance(value, dict) and value
                    and all(isinstance(spec, Field) for spec in value.values()) and id(value) not in known):
                unknown.append(f"{module_info.name}.{name}")
    # Then each is compared with the document below, or is read only by the RealWorld API
    assert unknown == [], "field tables to add to FIELD_TABLES"


def test_every_json_request_body_in_the_document_has_its_field_table() -> None:
    with_json_bodies = {(path, method) for path, method in operations(DOCUMENT)
                        if any(is_json(media) for media in resolve(DOCUMENT, DOCUMENT["paths"][path][method].get(
                            "requestBody", {"content": {}}))["content"])}
    assert with_json_bodies == {(path, method) for _, path, method in FIELD_TABLES.values()}


@pytest.mark.parametrize("table_name", FIELD_TABLES)
def test_the_request_schema_states_every_field_and_limit_of_its_table(table_name: str) -> None:
    table, path, method = FIELD_TABLES[table_name]
    schema = request_body_schema(DOCUMENT, path, method)
    where = f"{method.upper()} {path} ({table_name})"

    assert schema["type"] == "object" and schema["additionalProperties"] is False, where
    assert sorted(schema["properties"]) == sorted(table), where
    assert sorted(schema.get("required", [])) == sorted(name for name, spec in table.items() if spec.required), where
    for name, spec in table.items():
        field_schema = schema["properties"][name]
        wanted = expected_schema(spec.rule)
        assert documented_keywords(DOCUMENT, field_schema, wanted) == wanted, f"{where}: {name}"
        assert is_nullable(DOCUMENT, field_schema) == spec.nullable, f"{where}: {name} null"


PATTERN_SAMPLES = ["", "ab", "abc", "a.b", ".ab", "-ab", "a b", "ab!", "Ab_9", "ü12", "x" * 32, "x" * 33,
                   # control characters, line breaks, blanks, odd Unicode
                   "a\x00b", "ab\x1f", "ab\x7f", "a\tb c", "a\nb", "a\r\nb", "ab\r", " ", "\t\n ", "\u00a0",
                   "  spaced  ", "é😀ü", "ﬁne", "x" * 40, "x" * 41,
                   # e-mail addresses, addresses on the web, passwords, form tokens, dates
                   "a@b.co", " a@b.co ", "a@b", "a b@c.de", "@b.co", "a@@b.co", "ä@ö.de", "http://example.com/x?y#z",
                   "https://h", "HTTP://Example.COM", "ftp://h", "http://", "http:///x", "http://:80", "//h",
                   "http://u@h", "http://h a", "pass word", "s3cret-Phrase",
                   "1796636869.03d80be5019cf9962a465e75ab8aad0b",
                   "12.03d80be5019cf9962a465e75ab8aad0", "2017-03-22", "2017-03-22T09:00:00Z",
                   "2017-03-22T09:00:00.123+01:00", "2017-02-30", "1969-12-31", "2017-03-22T25:00"]

# Refusals no schema keyword can state (tests/openapi/test_fuzz_positive.py RULES_ONLY_DESCRIBED): a value
# refused only for these is one the schema rightly takes.
ONLY_DESCRIBED = ("is one of the most common passwords", "repeats itself or runs in sequence")


def takes_by_form(rule: Callable[[Any], Any], value: Any) -> bool:
    try:
        rule(value)
    except FieldError as error:
        return str(error).startswith(ONLY_DESCRIBED)
    return True


def left_empty(rule: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The honeypot: read by its table's rule, then refused unless nothing is left (blog/antispam.py)."""
    def honeypot(value: Any) -> Any:
        if rule(value):
            raise FieldError("must be left empty (it is a trap for robots)")
    return honeypot


def signed_shape(rule: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The form token: read by its table's rule, then its shape (its signature is state: a signed sample passes)."""
    def form_token(value: Any) -> Any:
        if not re.fullmatch(r"[0-9]{1,12}\.[0-9a-f]{32}", rule(value)):
            raise FieldError("is not a form token for this post; reload the form")
    return form_token


# Fields whose table rule only reads them; the rule that refuses comes after (blog/antispam.py).
RULES_AFTER_THE_TABLE: dict[str, Callable[[Callable[[Any], Any]], Callable[[Any], Any]]] = {
    "homepage": left_empty, "form_token": signed_shape}


def one_label(rule: Labels) -> Callable[[Any], Any]:
    return lambda value: rule([value])


def schema_takes(field_schema: dict[str, Any], value: Any) -> bool:
    """What the documented keywords (type, lengths, pattern) say of ``value``, as a JSON Schema validator reads them."""
    return jsonschema.Draft202012Validator(field_schema).is_valid(value)


@pytest.mark.parametrize("table_name", FIELD_TABLES)
def test_documented_patterns_take_what_the_rules_take(table_name: str) -> None:
    # Given each text field of the table, with the schema the document gives it
    table, path, method = FIELD_TABLES[table_name]
    schema = request_body_schema(DOCUMENT, path, method)
    for name, spec in table.items():
        field_schema = merged(DOCUMENT, schema["properties"][name])
        rule: Callable[[Any], Any] = spec.rule
        if name in RULES_AFTER_THE_TABLE:
            rule = RULES_AFTER_THE_TABLE[name](rule)
        if isinstance(rule, Labels):  # one label: the items' schema against a list of one
            field_schema, rule = merged(DOCUMENT, field_schema["items"]), one_label(rule)
        if field_schema.get("type") not in ("string", ["string", "null"]) or field_schema.get("format", "email") != (
                "email"):
            continue  # not text, or text whose rule is a named format (slug: tests/openapi/test_fuzz_positive.py)
        trims = getattr(spec.rule, "strip", True)
        for sample in PATTERN_SAMPLES:
            documented, taken = schema_takes(field_schema, sample), takes_by_form(rule, sample)
            # Then the document takes only what the rule takes,
            assert taken or not documented, (name, sample)
            # and takes all of it, but for two kinds of sample it states in a narrower form: a date that Python
            # reads though it is not in the plain ISO 8601 forms the pattern states, and a value whose
            # surrounding whitespace (which the server trims before its checks) holds a control character
            # or, for a username, any whitespace at all
            narrower = isinstance(spec.rule, DateTime) or (trims and sample != sample.strip())
            assert documented or not taken or narrower, (name, sample)


def test_every_pattern_compiles_for_python_and_for_the_fuzzer() -> None:
    # Given every pattern in the document (a JSON Schema pattern is ECMA-262; Python's re and the Rust engine
    # schemathesis generates with read a shared subset, and a pattern outside it is silently not generated from)
    patterns = list(patterns_in(DOCUMENT))
    assert len(patterns) > 20
    for pattern in patterns:
        re.compile(pattern)
        jsonschema_rs.validator_for({"type": "string", "pattern": pattern})


def patterns_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from patterns_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from patterns_in(value)


def test_comment_bodies_have_one_limit_everywhere() -> None:
    for table in (comment_creation.CREATE_FIELDS, comment_edits.EDIT_FIELDS):
        rule = table["body"].rule
        assert isinstance(rule, Text) and rule.max_length == comment_creation.MAX_COMMENT_LENGTH
    for path, method in (("/posts/{slug}/comments", "post"), ("/comments/{comment_id}", "patch")):
        body = request_body_schema(DOCUMENT, path, method)["properties"]["body"]
        assert body["maxLength"] == comment_creation.MAX_COMMENT_LENGTH


def test_page_sizes_are_as_documented() -> None:
    parameters = DOCUMENT["components"]["parameters"]
    for name in ("Limit", "CountLimit"):
        schema = parameters[name]["schema"]
        assert (schema["minimum"], schema["maximum"]) == (1, MAX_PAGE_SIZE), name
    assert parameters["Limit"]["schema"]["default"] == DEFAULT_PAGE_SIZE
