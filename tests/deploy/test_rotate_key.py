"""`make rotate-key`, as the operator runs it (`python -m deploy.rotate`), against moto in server mode.

HASH_KEY's old value is kept as hash-key-previous for a grace period, which the app
reads with the other secrets; a second rotation inside the grace period is refused;
FINISH ends it. The signing keys are replaced outright.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from chalicelib.settings import OPTIONAL_SECRET_PARAMETERS, SECRET_PARAMETERS, with_secrets
from chalicelib.store import client as client_module
from deploy import stages
from deploy.stages import PROJECT
from devtools.moto_server import MotoServer

STAGE = stages.load("dev")


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    server = MotoServer().start()  # a free port on loopback
    yield server.url
    server.stop()


@pytest.fixture
def moto_url(moto_server: str) -> str:
    # moto's state is the process's, whichever server serves it: each test starts from none.
    assert requests.post(moto_server + "/moto-api/reset", timeout=30).status_code == 200
    return moto_server


def aws(url: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1"}


def run(url: str, module: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in SECRET_PARAMETERS and k not in OPTIONAL_SECRET_PARAMETERS}
    return subprocess.run([sys.executable, "-m", module, "--stage", STAGE.name, *args], cwd=PROJECT,
                          env={**env, **aws(url)}, capture_output=True, text=True, timeout=120)


def rotate(url: str, key: str, *more: str) -> subprocess.CompletedProcess[str]:
    return run(url, "deploy.rotate", "--key", key, *more)


def ssm(url: str) -> Any:
    return boto3.client("ssm", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def value(url: str, leaf: str) -> str | None:
    try:
        return str(ssm(url).get_parameter(Name=STAGE.secret_parameter(leaf), WithDecryption=True)["Parameter"]["Value"])
    except ssm(url).exceptions.ParameterNotFound:
        return None


@pytest.fixture
def bootstrapped(moto_url: str) -> str:
    made = run(moto_url, "deploy.bootstrap", "--secrets-only")
    assert made.returncode == 0, made.stderr
    return moto_url


def test_rotating_the_hash_key_keeps_the_old_one_for_the_grace_period(bootstrapped: str) -> None:
    old = value(bootstrapped, "hash-key")
    assert old is not None

    done = rotate(bootstrapped, "HASH_KEY")

    assert done.returncode == 0, done.stderr
    new = value(bootstrapped, "hash-key")
    assert new is not None and len(new) >= 32 and new != old
    assert value(bootstrapped, "hash-key-previous") == old
    assert "make deploy STAGE=dev" in done.stdout
    assert old not in done.stdout + done.stderr and new not in done.stdout + done.stderr  # never printed


def test_the_app_reads_the_previous_hash_key_with_the_others(bootstrapped: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    old = value(bootstrapped, "hash-key")
    assert rotate(bootstrapped, "HASH_KEY").returncode == 0
    monkeypatch.setattr(client_module, "_ssm", ssm(bootstrapped))

    env = with_secrets({"SECRETS_PARAMETER_PATH": STAGE.secrets_path})

    assert env["HASH_KEY_PREVIOUS"] == old
    assert env["HASH_KEY"] == value(bootstrapped, "hash-key")


def test_without_a_rotation_under_way_the_app_needs_no_previous_key(bootstrapped: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "_ssm", ssm(bootstrapped))

    env = with_secrets({"SECRETS_PARAMETER_PATH": STAGE.secrets_path})

    assert "HASH_KEY_PREVIOUS" not in env
    assert all(env.get(name) for name in SECRET_PARAMETERS)


def test_a_second_rotation_inside_the_grace_period_is_refused(bootstrapped: str) -> None:
    assert rotate(bootstrapped, "HASH_KEY").returncode == 0
    kept = value(bootstrapped, "hash-key-previous")
    current = value(bootstrapped, "hash-key")

    again = rotate(bootstrapped, "HASH_KEY")

    assert again.returncode == 1
    assert "grace period" in again.stderr and "FINISH=1" in again.stderr and "Traceback" not in again.stderr
    assert (value(bootstrapped, "hash-key-previous"), value(bootstrapped, "hash-key")) == (kept, current)


def test_finishing_ends_the_grace_period_and_allows_the_next_rotation(bootstrapped: str) -> None:
    assert rotate(bootstrapped, "HASH_KEY").returncode == 0

    finished = rotate(bootstrapped, "HASH_KEY", "--finish")

    assert finished.returncode == 0, finished.stderr
    assert value(bootstrapped, "hash-key-previous") is None
    assert "not there" in rotate(bootstrapped, "HASH_KEY", "--finish").stdout
    assert rotate(bootstrapped, "HASH_KEY").returncode == 0


@pytest.mark.parametrize("key", ["JWT_SECRET", "EDIT_TOKEN_KEY", "MAIL_LINK_KEY", "WEBHOOK_SECRET"])
def test_a_signing_key_is_replaced_outright_and_says_what_it_voids(bootstrapped: str, key: str) -> None:
    leaf = SECRET_PARAMETERS[key]
    old = value(bootstrapped, leaf)

    done = rotate(bootstrapped, key)

    assert done.returncode == 0, done.stderr
    assert value(bootstrapped, leaf) not in (None, old)
    assert "voids" in done.stdout
    assert value(bootstrapped, "hash-key-previous") is None
    refused = rotate(bootstrapped, key, "--finish")
    assert refused.returncode == 1 and "no grace period" in refused.stderr


def test_a_stage_without_its_secrets_is_told_to_bootstrap(moto_url: str) -> None:
    refused = rotate(moto_url, "HASH_KEY")

    assert refused.returncode == 1
    assert "bootstrap" in refused.stderr and "Traceback" not in refused.stderr
    assert value(moto_url, "hash-key") is None and value(moto_url, "hash-key-previous") is None


def test_an_unknown_key_is_refused_by_name(moto_url: str) -> None:
    refused = rotate(moto_url, "HASH_KEY_PREVIOUS")

    assert refused.returncode == 2
    assert "invalid choice" in refused.stderr


def test_teardown_removes_the_previous_hash_key_too(bootstrapped: str) -> None:
    assert rotate(bootstrapped, "HASH_KEY").returncode == 0

    removed = run(bootstrapped, "deploy.bootstrap", "--delete", "--yes")

    assert removed.returncode == 0, removed.stderr
    assert value(bootstrapped, "hash-key-previous") is None
    assert value(bootstrapped, "hash-key") is None


def test_the_local_stage_is_refused_without_reaching_any_account(moto_url: str) -> None:
    local = subprocess.run([sys.executable, "-m", "deploy.rotate", "--stage", "local", "--key", "HASH_KEY"],
                           cwd=PROJECT, env={**os.environ, **aws(moto_url)}, capture_output=True, text=True,
                           timeout=120)

    assert local.returncode == 1
    assert ".local/secrets.json" in local.stderr and "Traceback" not in local.stderr
    assert ssm(moto_url).describe_parameters()["Parameters"] == []


def test_a_rekey_after_a_rotation_moves_the_stages_commenters_to_the_new_key(bootstrapped: str) -> None:
    from chalicelib.blog.antispam import email_hash
    from chalicelib.signing import derive_key
    from chalicelib.store import keys
    from chalicelib.store.table import serialize
    from infra.table import create_table

    dynamodb = boto3.client("dynamodb", endpoint_url=bootstrapped, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    create_table(dynamodb, STAGE.table_name)

    def identity(key_leaf: str) -> str:
        secret = value(bootstrapped, key_leaf)
        assert secret is not None
        return "email:" + email_hash(derive_key(secret, "anti-spam"), "ann@example.com")

    before = identity("hash-key")
    comment = {**keys.comment("hello", "01J00000000000000000000000"), "author_email": "Ann@Example.com",
               "id": "01J00000000000000000000000", "post_slug": "hello", "created_at": "2026-12-01T00:00:00Z"}
    entry = {**keys.commenter_comment(before, comment["created_at"], comment["id"]), "post_slug": "hello",
             "comment_id": comment["id"]}
    for item in (comment, entry):
        dynamodb.put_item(TableName=STAGE.table_name, Item=serialize(item))
    assert rotate(bootstrapped, "HASH_KEY").returncode == 0

    moved = run(bootstrapped, "deploy.rekey")

    assert moved.returncode == 0, moved.stderr
    assert "addresses moved: 1" in moved.stdout and "FINISH=1" in moved.stdout
    after = identity("hash-key")

    def filed(identity: str) -> list[str]:
        found = dynamodb.query(TableName=STAGE.table_name, KeyConditionExpression="PK = :pk",
                               ExpressionAttributeValues={":pk": {"S": keys.commenter_partition(identity)}})
        return [i["SK"]["S"] for i in found["Items"]]

    assert filed(before) == [] and filed(after) == [entry["SK"]]
