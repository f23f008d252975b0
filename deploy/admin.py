"""``make admin STAGE=<stage> USERNAME=<name> EMAIL=<address>``: create or promote a stage's admin account.

Sign-up refuses the usernames named in ``BLOG_ADMINS``, so that nobody can claim
an admin's name by signing up first on a public stage; this command makes that
account instead, with role "admin" stored on it:

- no account with that username: it is created, with the password read from
  ``ADMIN_PASSWORD`` or asked for twice at a prompt (never an argument, which the
  shell history and the process list would show), under the same rules as
  sign-up (8 to 256 characters, not a common password);
- an account with that username and that e-mail address: it is promoted (its
  password is left as it is), or left unchanged when it is an admin already;
- an account with that username and another e-mail address, or that e-mail
  address registered to another username: refused, nothing changed.

The table is the stage's (``TABLE_NAME`` in .chalice/config.json), in the region
and account of the usual AWS settings, as for ``make bootstrap``. ``--stage local``
is `make run`'s table, in the moto server of the running stack (started first).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from chalicelib.blog import clock, records
from chalicelib.blog.accounts import SIGNUP_FIELDS
from chalicelib.blog.passwords import hash_password
from chalicelib.blog.tokens import ADMIN
from chalicelib.blog.validation import read_fields
from chalicelib.errors import Invalid
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.table import Table, TransactionCancelled, put, update
from deploy.local_stack_file import stack_file
from deploy.stage_config import StageError, stage_settings

PASSWORD_VARIABLE = "ADMIN_PASSWORD"
# Where `make run` says which endpoint its moto server listens on, while it runs.
def local_stack_file() -> Path:
    """Where the `make run` on PORT (8000 by default) names its moto endpoint and table, while it runs."""
    return stack_file(int(os.environ.get("PORT") or 8000))

Say = Callable[[str], None]


class AdminError(Exception):
    pass


def _refusal(error: Invalid) -> AdminError:
    return AdminError("; ".join(f"{field} {messages[0]}" for field, messages in error.errors.items()) or error.detail)


def ensure_admin(table: Table, settings: Settings, username: str, email: str, password: Callable[[], str],
                 say: Say) -> str:
    """Create or promote the admin account: "created", "promoted" or "unchanged".

    ``password`` is called only when the account is to be created.
    """
    try:
        # The sign-up rules, except the password's, which is read only when an account is made.
        named = read_fields({"username": username, "email": email},
                            {name: SIGNUP_FIELDS[name] for name in ("username", "email")})
    except Invalid as error:
        raise _refusal(error) from None
    username, email = named["username"], named["email"]
    account = table.get(keys.user(username))
    if account is not None and account.get("renamed_to"):
        raise AdminError(f"{username!r} is an old name of the account {account['renamed_to']!r}, kept for it; "
                         "nothing changed (give the account's current name)")
    if account is not None:
        if account["email"] != email:
            raise AdminError(f"the account {account['username']!r} exists with another e-mail address; "
                             "nothing changed (give its own address to promote it)")
        if account.get("role") == ADMIN:
            say(f"{account['username']} is an admin already; nothing changed.")
            return "unchanged"
        # The promoted account as records.account files an admin (its index keys), set on the stored one.
        promoted = records.account_item({**{k: v for k, v in account.items() if k in records.ACCOUNT_FIELDS},
                                    "role": ADMIN})
        changed = {k: promoted[k] for k in ("role", *keys.INDEX_KEY_ATTRIBUTES) if k in promoted}
        names = {f"#a{i}": name for i, name in enumerate(changed)}
        table.write(update(keys.user(username), "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(changed))),
                           "attribute_exists(PK) AND #e = :email", {**names, "#e": "email"}, email=email,
                           **{f"a{i}": value for i, value in enumerate(changed.values())}))
        say(f"{account['username']} is now an admin (the password is unchanged).")
        return "promoted"
    pointer = table.get(keys.email(email))
    if pointer is not None:
        raise AdminError(f"{email} is the e-mail address of another account ({pointer['username']!r}); nothing changed")
    try:
        chosen = read_fields({"password": password()}, {"password": SIGNUP_FIELDS["password"]})["password"]
    except Invalid as error:
        raise _refusal(error) from None
    item = records.account({"username": username, "email": email, "role": ADMIN,
                            "password_hash": hash_password(chosen, settings.password_cost),
                            "created_at": clock.now_iso()})
    taken = AdminError("that username or e-mail address was taken meanwhile; run the command again")
    try:
        table.transact([put(item, "attribute_not_exists(PK)", refusal=taken),
                        put(records.email_claim(email, username), "attribute_not_exists(PK)", refusal=taken)])
    except TransactionCancelled:
        raise taken from None
    say(f"Created the admin account {username} ({email}).")
    return "created"


def read_password(environ: Mapping[str, str] = os.environ) -> str:
    """ADMIN_PASSWORD, or typed twice at a prompt that does not echo it."""
    given = environ.get(PASSWORD_VARIABLE)
    if given:
        return given
    if not sys.stdin.isatty():
        raise AdminError(f"set {PASSWORD_VARIABLE}, or run this in a terminal to be asked for the password")
    import getpass

    first = getpass.getpass("Password for the new admin account: ")
    if getpass.getpass("The same password again: ") != first:
        raise AdminError("the two passwords differ; nothing changed")
    return first


def _client(stage: str) -> Any:
    import boto3

    from deploy.bootstrap import aws_settings_missing

    if stage == "local":
        where = local_stack_file()
        if not where.exists():
            raise AdminError("the local stack is not running: start it with `make run` (PORT=… names "
                             "another one), then run this again")
        endpoint = json.loads(where.read_text())["dynamodb_endpoint"]
        return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local")
    session = boto3.Session(region_name=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION"))
    missing = aws_settings_missing(session)
    if missing:
        raise AdminError(missing)
    return session.client("dynamodb")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.admin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json; local: `make run`'s")
    parser.add_argument("--username", required=True)
    parser.add_argument("--email", required=True)
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        settings = stage_settings(args.stage)  # no secrets needed here
        table = Table(_client(args.stage), settings.table_name)
        ensure_admin(table, settings, args.username, args.email, read_password, print)
        if args.username.casefold() not in {name.casefold() for name in settings.admins}:
            print(f"Note: {args.username} is not in the stage's BLOG_ADMINS, so sign-up does not reserve the name.")
    except (AdminError, StageError) as error:
        print(f"admin failed: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"admin failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
