"""``make rotate-key STAGE=<stage> KEY=<NAME>``: a new value for one of the stage's secrets in SSM.

What each rotation keeps and invalidates is in docs (Key rotation). In short:

- HASH_KEY keys stored pseudonyms, so the value it replaces is kept as
  ``hash-key-previous`` (HASH_KEY_PREVIOUS) for a grace period, during which an
  anonymous commenter's data and first-time approval are still found and moved to
  the new key. ``--finish`` ends the grace period by deleting it. A second
  rotation before that is refused: it would lose the key the oldest hashes need.
- JWT_SECRET, EDIT_TOKEN_KEY, MAIL_LINK_KEY and WEBHOOK_SECRET sign things; a
  new value voids what the old one signed at once (sign-ins, edit tokens, mailed
  links; webhook receivers must take the new secret), which is what a leak calls for.

Running Lambda containers read the secrets once, so the command ends by saying to
redeploy (``make deploy``), which replaces them. boto3 honours ``AWS_ENDPOINT_URL``,
so the tests run the same command against moto.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.settings import OPTIONAL_SECRET_PARAMETERS, SECRET_PARAMETERS
from deploy import stages
from deploy.stages import Stage

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

Say = Callable[[str], None]
GRACE_KEYS = {"HASH_KEY": "HASH_KEY_PREVIOUS"}  # the keys whose old value is kept for a grace period
VOIDS = {
    "JWT_SECRET": "every sign-in: readers and admins sign in again",
    "EDIT_TOKEN_KEY": "anonymous commenters' edit tokens (their edit window ends) and every page cursor in flight",
    "MAIL_LINK_KEY": "every link already mailed: unsubscribe, confirm-address, moderation and data-request links",
    "WEBHOOK_SECRET": "the signature receivers check: give them the new secret",
    "HASH_KEY": "nothing at once; rate windows and anonymous vote identities start afresh",
}


class RotationError(Exception):
    pass


def _parameter(stage: Stage, name: str) -> str:
    leaf = SECRET_PARAMETERS.get(name) or OPTIONAL_SECRET_PARAMETERS[name]
    return stage.secret_parameter(leaf)


def _read(ssm: SSMClient, parameter: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        return str(ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise


def _write(ssm: SSMClient, stage: Stage, parameter: str, value: str) -> None:
    ssm.put_parameter(Name=parameter, Type="SecureString", Value=value, Overwrite=True,
                      Description=f"{stage.app_name} {stage.name}: signing key (deploy/rotate.py)")


def rotate(ssm: SSMClient, stage: Stage, name: str, say: Say) -> None:
    """A new random value for ``name``; for a key with a grace period, the old value kept beside it."""
    if name not in SECRET_PARAMETERS:
        raise RotationError(f"{name} is not one of the stage's secrets ({', '.join(SECRET_PARAMETERS)})")
    parameter = _parameter(stage, name)
    current = _read(ssm, parameter)
    if current is None:
        raise RotationError(f"{parameter} is not there: run the stage's bootstrap first")
    previous_name = GRACE_KEYS.get(name)
    if previous_name is not None:
        previous = _parameter(stage, previous_name)
        if _read(ssm, previous) is not None:
            raise RotationError(f"{name}'s last rotation is still in its grace period ({previous} exists); "
                                f"end it first: make rotate-key STAGE={stage.name} KEY={name} FINISH=1")
        _write(ssm, stage, previous, current)  # first: a failure after this leaves the old key findable
        say(f"{previous}: the old {name}, kept for the grace period")
    _write(ssm, stage, parameter, secrets.token_urlsafe(48))
    say(f"{parameter}: a new {name}; this voids {VOIDS[name]}")
    say(f"next: make deploy STAGE={stage.name} (running functions keep the keys they read until replaced)")


def finish(ssm: SSMClient, stage: Stage, name: str, say: Say) -> None:
    """End the grace period of ``name``'s last rotation: the old value is deleted."""
    from botocore.exceptions import ClientError

    previous_name = GRACE_KEYS.get(name)
    if previous_name is None:
        raise RotationError(f"{name} has no grace period to end (only {', '.join(GRACE_KEYS)} does)")
    previous = _parameter(stage, previous_name)
    try:
        ssm.delete_parameter(Name=previous)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ParameterNotFound":
            raise
        say(f"{previous}: not there; no grace period to end")
        return
    say(f"{previous}: deleted; what was filed under the old {name} and not moved yet is out of reach now")
    say(f"next: make deploy STAGE={stage.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.rotate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=stages.names())
    parser.add_argument("--key", required=True, choices=sorted(SECRET_PARAMETERS))
    parser.add_argument("--finish", action="store_true", help="end the grace period: delete the previous value")
    args = parser.parse_args(argv)
    if args.stage == "local":
        # `make run` keeps its keys beside its data, not in SSM: nothing here may reach an AWS account.
        print("rotate-key failed: the local stage's keys are in .local/secrets.json (make clean-data makes new ones; "
              "HASH_KEY_PREVIOUS=… make run tries a grace period)", file=sys.stderr)
        return 1
    stage = stages.load(args.stage)

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.Session(region_name=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION"))
    ssm = session.client("ssm")
    try:
        (finish if args.finish else rotate)(ssm, stage, args.key, print)
    except RotationError as error:
        print(f"rotate-key failed: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"rotate-key failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
