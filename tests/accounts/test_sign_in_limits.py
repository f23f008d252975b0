"""Signing in and up are limited: failed logins per account and per address, sign-ups per address.

Each limit is a fixed window (LOGIN_ACCOUNT_LIMIT, LOGIN_ADDRESS_LIMIT, SIGNUP_RATE_LIMIT as
N/SECONDS); beyond it every attempt is 429 with Retry-After, the seconds left in the window.
Only failed logins stay counted, a refused attempt adds nothing, and every window lapses, so a
victim is locked out only while someone keeps failing on their account. The test stage lifts
all three limits; each test sets the ones it exercises.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib import services as services_module
from chalicelib.errors import RateLimited, Unauthenticated
from chalicelib.settings import Settings
from tests.conftest import PASSWORD, Api, Blog, Reply, login
from tests.settings_steps import Clock

Configure = Callable[..., Settings]
WRONG = "not the password at all"


def wrong_login(api: Api, email: str) -> Reply:
    return login(api, email, WRONG)


def assert_limited(reply: Reply, wait: int) -> None:
    """429, told to wait the rest of the window: ``wait`` seconds from the aligned start, less what the test took."""
    assert reply.status == 429, reply.body
    told = int(reply.headers["retry-after"])
    assert wait - 10 < told <= wait
    assert f"try again in {told} s" in reply.problem["detail"]


def signup(api: Api, username: str, email: str | None = None) -> Reply:
    return api.post("/auth/signup", {"username": username, "email": email or f"{username}@example.com",
                                     "password": PASSWORD})


# -- failed logins per account -------------------------------------------------------------


def test_failed_logins_of_an_account_are_refused_beyond_its_window_even_with_the_right_password(
        api: Api, blog: Blog, configure: Configure, clock: Clock) -> None:
    blog.user("alice")
    configure(LOGIN_ACCOUNT_LIMIT="3/600")
    clock.align(600)  # one second into a window: 599 s left

    failures = [wrong_login(api, "alice@example.com").status for _ in range(3)]
    fourth = login(api, "alice@example.com")

    assert failures == [401, 401, 401]
    assert_limited(fourth, 599)


def test_the_account_window_lapses_at_its_end(api: Api, blog: Blog, configure: Configure, clock: Clock) -> None:
    blog.user("alice")
    configure(LOGIN_ACCOUNT_LIMIT="2/600")
    clock.align(600)
    for _ in range(2):
        wrong_login(api, "alice@example.com")
    clock.advance(589)
    assert_limited(login(api, "alice@example.com"), 10)

    clock.advance(11)

    assert login(api, "alice@example.com").status == 200


def test_attempts_refused_by_a_full_window_do_not_make_it_last_longer(
        api: Api, blog: Blog, configure: Configure, clock: Clock) -> None:
    # Given an attacker who filled alice's window and keeps hammering it
    blog.user("alice")
    configure(LOGIN_ACCOUNT_LIMIT="2/600")
    clock.align(600)
    for _ in range(2):
        wrong_login(api, "alice@example.com")
    hammering = {wrong_login(api, "alice@example.com").status for _ in range(20)}

    # When the window ends, alice signs in, and her next window starts empty
    clock.advance(600)

    assert hammering == {429}
    assert login(api, "alice@example.com").status == 200
    assert wrong_login(api, "alice@example.com").status == 401


def test_successful_logins_are_not_counted(api: Api, blog: Blog, configure: Configure, clock: Clock) -> None:
    blog.user("alice")
    configure(LOGIN_ACCOUNT_LIMIT="2/600", LOGIN_ADDRESS_LIMIT="2/600")
    clock.align(600)

    successes = [login(api, "alice@example.com").status for _ in range(5)]
    failures = [wrong_login(api, "alice@example.com").status for _ in range(3)]

    assert successes == [200] * 5
    assert failures == [401, 401, 429]


def test_an_unknown_email_is_limited_in_the_same_words_as_an_account(
        api: Api, blog: Blog, configure: Configure, clock: Clock) -> None:
    # The limit must not tell which e-mail addresses have accounts
    blog.user("alice")
    configure(LOGIN_ACCOUNT_LIMIT="1/600")
    clock.align(600)
    for email in ("alice@example.com", "nobody@example.com"):
        assert wrong_login(api, email).status == 401

    known, unknown = login(api, "alice@example.com"), login(api, "nobody@example.com")

    assert known.status == unknown.status == 429

    # The seconds left may differ by one as the real second ticks between the two requests
    def words(detail: str) -> str:
        return re.sub(r"try again in \d+ s", "try again in N s", detail)

    assert words(known.problem["detail"]) == words(unknown.problem["detail"])


def test_an_account_is_one_whatever_the_case_of_the_email(
        api: Api, blog: Blog, configure: Configure, clock: Clock) -> None:
    blog.user("alice")
    configure(LOGIN_ACCOUNT_LIMIT="2/600")
    clock.align(600)

    wrong_login(api, "ALICE@example.com")
    wrong_login(api, "alice@EXAMPLE.com")

    assert login(api, "Alice@Example.com").status == 429


def test_the_account_limit_holds_across_addresses(blog: Blog, configure: Configure, clock: Clock) -> None:
    # Given failures on alice's account from three addresses
    blog.user("alice")
    configure(LOGIN_ACCOUNT_LIMIT="3/600", LOGIN_ADDRESS_LIMIT="100/600")
    accounts = services_module.services().accounts
    clock.align(600)
    for address in ("198.51.100.1", "198.51.100.2", "203.0.113.9"):
        with pytest.raises(Unauthenticated):
            accounts.login({"email": "alice@example.com", "password": WRONG}, address)

    # Then a fourth address is refused too, right password or not
    with pytest.raises(RateLimited):
        accounts.login({"email": "alice@example.com", "password": PASSWORD}, "192.0.2.44")


# -- failed logins per address -------------------------------------------------------------


def test_failed_logins_from_one_address_are_limited_across_accounts(
        api: Api, blog: Blog, configure: Configure, clock: Clock) -> None:
    # Password spraying: one wrong guess at each of many accounts
    for name in ("alice", "bob", "carol", "dave"):
        blog.user(name)
    configure(LOGIN_ACCOUNT_LIMIT="100/600", LOGIN_ADDRESS_LIMIT="3/900")
    clock.align(900)

    sprayed = [wrong_login(api, f"{name}@example.com").status for name in ("alice", "bob", "carol")]

    assert sprayed == [401, 401, 401]
    assert_limited(login(api, "dave@example.com"), 899)


def test_another_address_is_not_held_by_one_address_failures(blog: Blog, configure: Configure, clock: Clock) -> None:
    blog.user("alice")
    configure(LOGIN_ACCOUNT_LIMIT="100/600", LOGIN_ADDRESS_LIMIT="2/600")
    accounts = services_module.services().accounts
    clock.align(600)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            accounts.login({"email": "alice@example.com", "password": WRONG}, "203.0.113.66")

    with pytest.raises(RateLimited):
        accounts.login({"email": "alice@example.com", "password": PASSWORD}, "203.0.113.66")
    assert accounts.login({"email": "alice@example.com", "password": PASSWORD}, "198.51.100.7")["token"]


def test_logins_sent_together_cannot_all_be_checked_against_an_empty_window(
        blog: Blog, configure: Configure, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    # A login claims its slot before the password is checked: while one attempt is being
    # checked (here: stopped inside the check), the next one already sees it counted.
    blog.user("alice")
    configure(LOGIN_ACCOUNT_LIMIT="1/600")
    accounts = services_module.services().accounts
    clock.align(600)
    from chalicelib.blog import accounts as accounts_module
    from chalicelib.blog.passwords import verify_password as real_verify

    outcomes: list[Any] = []

    def verify_while_another_arrives(password: str, stored: str) -> bool:
        monkeypatch.setattr(accounts_module, "verify_password", real_verify)
        try:
            accounts.login({"email": "alice@example.com", "password": WRONG}, "198.51.100.2")
        except RateLimited as refused:
            outcomes.append(refused)
        return real_verify(password, stored)

    monkeypatch.setattr(accounts_module, "verify_password", verify_while_another_arrives)
    with pytest.raises(Unauthenticated):
        accounts.login({"email": "alice@example.com", "password": WRONG}, "198.51.100.1")

    assert len(outcomes) == 1 and isinstance(outcomes[0], RateLimited)


# -- sign-ups per address ------------------------------------------------------------------


def test_sign_ups_from_one_address_are_limited_refused_ones_included(
        api: Api, configure: Configure, clock: Clock) -> None:
    configure(SIGNUP_RATE_LIMIT="3/3600")
    clock.align(3600)

    first = signup(api, "alice").status
    probe = signup(api, "mallory", email="alice@example.com").status  # probing for a registered address
    second = signup(api, "bob").status
    refused = signup(api, "carol")

    assert (first, probe, second) == (201, 409, 201)
    assert_limited(refused, 3599)
    assert login(api, "carol@example.com").status == 401  # nothing was made


def test_probing_reserved_admin_names_counts_in_the_sign_up_window(
        api: Api, configure: Configure, clock: Clock) -> None:
    """Found: the reserved-name answer came before the window counted, so names could be probed without limit."""
    configure(SIGNUP_RATE_LIMIT="2/3600", BLOG_ADMINS="root")
    clock.align(3600)

    probes = [signup(api, "root").status, signup(api, "root").status]
    refused = signup(api, "root")

    assert probes == [409, 409]
    assert_limited(refused, 3599)
    assert "reserved" not in refused.problem["detail"]


def test_a_sign_up_window_lapses(api: Api, configure: Configure, clock: Clock) -> None:
    configure(SIGNUP_RATE_LIMIT="1/3600")
    clock.align(3600)
    assert signup(api, "alice").status == 201
    assert signup(api, "bob").status == 429

    clock.advance(3600)

    assert signup(api, "bob").status == 201


def test_input_refused_before_the_window_does_not_count(api: Api, configure: Configure, clock: Clock) -> None:
    configure(SIGNUP_RATE_LIMIT="1/3600")
    clock.align(3600)

    short = api.post("/auth/signup", {"username": "alice", "email": "alice@example.com", "password": "short"})

    assert short.status == 422
    assert signup(api, "alice").status == 201


def test_a_limit_of_zero_closes_sign_ups(api: Api, configure: Configure) -> None:
    configure(SIGNUP_RATE_LIMIT="0/3600")

    assert signup(api, "alice").status == 429


# -- the RealWorld routes ------------------------------------------------------------------


def test_realworld_login_and_registration_are_limited_alike(
        api: Api, blog: Blog, configure: Configure, clock: Clock) -> None:
    blog.user("alice")
    configure(LOGIN_ACCOUNT_LIMIT="1/600", SIGNUP_RATE_LIMIT="0/600")
    clock.align(600)

    def conduit_login(password: str) -> Reply:
        return api.post("/api/users/login", {"user": {"email": "alice@example.com", "password": password}})

    failed = conduit_login(WRONG)
    limited = conduit_login(PASSWORD)
    registration = api.post("/api/users", {"user": {"username": "bob", "email": "bob@example.com",
                                                    "password": PASSWORD}})

    assert failed.status == 401
    assert limited.status == registration.status == 429
    assert 589 < int(limited.headers["retry-after"]) <= 599
    assert 589 < int(registration.headers["retry-after"]) <= 599
    assert "try again in" in limited.json["errors"]["body"][0]


@pytest.mark.parametrize("setting", ["LOGIN_ACCOUNT_LIMIT", "LOGIN_ADDRESS_LIMIT", "SIGNUP_RATE_LIMIT"])
@pytest.mark.parametrize("value", ["ten", "5", "5/0", "-1/60", "5/sixty"])
def test_a_malformed_limit_is_a_configuration_error(setting: str, value: str) -> None:
    from chalicelib.errors import ConfigurationError
    from tests.settings_steps import stage_settings

    with pytest.raises(ConfigurationError, match=setting):
        stage_settings(**{setting: value})
