"""An admin named in BLOG_ADMINS cannot be claimed by signing up; `make admin` makes the account.

Sign-up refuses those usernames whatever their case. The operator command
(`python -m deploy.admin`) creates the account with role "admin" stored on it, or
promotes the account of that name and e-mail address, and refuses anything else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table
from deploy import admin, stage_config
from deploy.admin import AdminError, ensure_admin
from devtools.moto_server import MotoServer
from infra.table import create_table
from tests.conftest import PASSWORD, TEST_TABLE, Api, Blog, DynamoCalls, login
from tests.settings_steps import stage_settings

STRONG = "a long admin passphrase"


def table() -> Table:
    return Table(dynamodb_client(), TEST_TABLE)


def quiet(_: str) -> None:
    pass


def stored(username: str) -> dict[str, object] | None:
    return table().get(keys.user(username))


# -- sign-up refuses the admins' names ---------------------------------------------------------


@pytest.mark.parametrize("name", ["root", "Root", "ROOT"])
def test_sign_up_refuses_a_username_named_in_blog_admins(api: Api, name: str) -> None:
    reply = api.post("/auth/signup", {"username": name, "email": "first@example.com", "password": PASSWORD})

    assert reply.status == 409, reply.body
    assert reply.problem["errors"] == {"username": ["is reserved for an administrator of this blog"]}
    assert stored("root") is None


def test_realworld_registration_refuses_it_too(api: Api) -> None:
    reply = api.post("/api/users", {"user": {"username": "root", "email": "first@example.com",
                                             "password": PASSWORD}})

    assert reply.status == 422
    assert reply.json["errors"]["username"] == ["is reserved for an administrator of this blog"]


# -- the operator command ---------------------------------------------------------------------


def test_the_command_creates_the_admin_account(api: Api) -> None:
    outcome = ensure_admin(table(), stage_settings(), "root", "Root@Example.com", lambda: STRONG, quiet)

    assert outcome == "created"
    account = stored("root")
    assert account is not None
    assert account["role"] == "admin"
    assert account["email"] == "root@example.com"
    signed_in = login(api, "root@example.com", STRONG)
    assert signed_in.status == 200
    assert signed_in.json["user"]["role"] == "admin"


def test_the_command_is_idempotent(api: Api) -> None:
    ensure_admin(table(), stage_settings(), "root", "root@example.com", lambda: STRONG, quiet)

    def not_asked() -> str:
        raise AssertionError("the password is asked only to create the account")

    again = ensure_admin(table(), stage_settings(), "ROOT", "root@example.com", not_asked, quiet)

    assert again == "unchanged"
    assert login(api, "root@example.com", STRONG).status == 200


def test_the_command_promotes_an_account_of_that_name_and_address(api: Api, blog: Blog) -> None:
    # Given ada, a reader who signed up before BLOG_ADMINS named her
    blog.user("ada")

    outcome = ensure_admin(table(), stage_settings(), "ada", "ada@example.com", lambda: STRONG, quiet)

    assert outcome == "promoted"
    account = stored("ada")
    assert account is not None and account["role"] == "admin"
    assert login(api, "ada@example.com").status == 200  # her own password still works
    assert login(api, "ada@example.com", STRONG).status == 401


def test_the_command_refuses_an_account_of_that_name_with_another_address(api: Api, blog: Blog) -> None:
    # Whoever claimed the name first does not become an admin by it
    blog.user("ada")

    with pytest.raises(AdminError, match="another e-mail address"):
        ensure_admin(table(), stage_settings(), "ada", "the.real.ada@example.com", lambda: STRONG, quiet)

    account = stored("ada")
    assert account is not None and account["role"] == "reader"


def test_the_command_refuses_an_address_registered_to_another_account(api: Api, blog: Blog) -> None:
    blog.user("mallory")

    with pytest.raises(AdminError, match="another account"):
        ensure_admin(table(), stage_settings(), "root", "mallory@example.com", lambda: STRONG, quiet)

    assert stored("root") is None


@pytest.mark.parametrize(("password", "message"), [
    ("password", "most common passwords"),
    ("short", "at least 8 characters"),
    ("x" * 257, "at most 256 characters"),
])
def test_the_command_refuses_a_weak_password(api: Api, password: str, message: str) -> None:
    with pytest.raises(AdminError, match=message):
        ensure_admin(table(), stage_settings(), "root", "root@example.com", lambda: password, quiet)

    assert stored("root") is None


@pytest.mark.parametrize(("username", "email", "message"), [
    ("ro", "root@example.com", "username must be 3 to 32"),
    ("root admin", "root@example.com", "username must be"),
    ("root", "not-an-address", "email must be an e-mail address"),
])
def test_the_command_refuses_bad_names_and_addresses(api: Api, username: str, email: str, message: str) -> None:
    with pytest.raises(AdminError, match=message):
        ensure_admin(table(), stage_settings(), username, email, lambda: STRONG, quiet)


# -- the command line -------------------------------------------------------------------------


def test_an_unknown_stage_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status = admin.main(["--stage", "nowhere", "--username", "root", "--email", "root@example.com"])

    assert status == 1
    assert "no stage 'nowhere'" in capsys.readouterr().err


def test_without_a_password_variable_or_a_terminal_it_says_what_to_set(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(admin.PASSWORD_VARIABLE, raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)

    with pytest.raises(AdminError, match=admin.PASSWORD_VARIABLE):
        admin.read_password()


def test_there_is_no_password_argument(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        admin.main(["--stage", "test", "--username", "root", "--email", "root@example.com", "--password", STRONG])

    assert "unrecognized arguments" in capsys.readouterr().err


@pytest.fixture
def local_stack_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Table]:
    """A moto server holding the local stage's table, named where `make run` names its endpoint."""
    server = MotoServer().start()
    try:
        named = tmp_path / "stack-8000.json"
        named.write_text(json.dumps({"dynamodb_endpoint": server.url}))
        monkeypatch.setattr(admin, "local_stack_file", lambda: named)
        import boto3

        client = boto3.client("dynamodb", endpoint_url=server.url, region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local")
        table_name = stage_config.stage_settings("local").table_name
        create_table(client, table_name)
        yield Table(client, table_name)
    finally:
        server.stop()


def test_the_local_stage_is_the_running_stacks_table(
        local_stack_table: Table, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(admin.PASSWORD_VARIABLE, STRONG)

    first = admin.main(["--stage", "local", "--username", "ada", "--email", "ada@example.com"])
    second = admin.main(["--stage", "local", "--username", "ada", "--email", "ada@example.com"])

    assert (first, second) == (0, 0)
    account = local_stack_table.get(keys.user("ada"))
    assert account is not None and account["role"] == "admin"
    out = capsys.readouterr().out
    assert "Created the admin account ada" in out and "is an admin already" in out
    assert STRONG not in out


def test_the_local_stage_needs_the_stack_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(admin, "local_stack_file", lambda: tmp_path / "absent")
    monkeypatch.setenv(admin.PASSWORD_VARIABLE, STRONG)

    status = admin.main(["--stage", "local", "--username", "ada", "--email", "ada@example.com"])

    assert status == 1
    assert "make run" in capsys.readouterr().err


def test_a_stage_without_its_table_is_refused_in_one_line(
        dynamo: DynamoCalls, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # The dev stage's table was never bootstrapped here
    monkeypatch.setenv(admin.PASSWORD_VARIABLE, STRONG)

    status = admin.main(["--stage", "dev", "--username", "ada", "--email", "ada@example.com"])

    assert status == 1
    assert "admin failed" in capsys.readouterr().err
