"""``make rekey STAGE=<stage>``: after a HASH_KEY rotation, move every commenter's stored hashes to the new key.

During a rotation's grace period an address moves on demand, when its owner asks
for their data (chalicelib/blog/rekeying.py). This moves them all at once, so that
the grace period can end (``make rotate-key KEY=HASH_KEY FINISH=1``) without
leaving anyone's comments out of their own reach. It Scans the comments (paged,
an operator command, not a request path) and, for each address that wrote one,
moves its comment index, first-time approval and confirmation from the previous
hash to the current one. Idempotent and resumable: an address already moved has
nothing left under its old hash, so a second run moves nothing.

The keys are the stage's own, read from SSM (HASH_KEY and HASH_KEY_PREVIOUS), with
the operator's AWS credentials and region from the environment.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable

from chalicelib.blog.antispam import AntiSpam
from chalicelib.blog.rekeying import carry_over_email
from chalicelib.store import keys
from chalicelib.store.table import Table
from deploy.migrate import scanned


def rekey(table: Table, antispam: AntiSpam, progress: Callable[[int], None] | None = None) -> Counter[str]:
    """Every anonymous commenter's address moved from the previous HASH_KEY's hash to the current one's."""
    outcome: Counter[str] = Counter()
    if antispam.previous_key is None:
        outcome["no previous HASH_KEY: nothing to move"] += 1
        return outcome
    seen: set[str] = set()
    comments = scanned(table, "begins_with(PK, :post) AND (begins_with(SK, :public) OR begins_with(SK, :held)) "
                              "AND attribute_exists(author_email)",
                       {":post": keys.post_partition(""), ":public": keys.COMMENT_PREFIX, ":held": keys.HELD_PREFIX})
    for comment in comments:
        email = comment.get("author_email")
        if not email or comment.get("author_user"):
            continue  # an account's comments are filed under its name, which no key changes
        address = str(email).strip().lower()
        if address in seen:
            continue
        seen.add(address)
        moved = carry_over_email(table, antispam, address)
        outcome["addresses moved" if moved else "addresses with nothing under the old key"] += 1
        outcome["items moved"] += moved
        if progress and len(seen) % 100 == 0:
            progress(len(seen))
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.rekey", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    args = parser.parse_args(argv)
    if args.stage == "local":
        print("rekey failed: the local stage has no rotation to finish (its keys are in .local/secrets.json)",
              file=sys.stderr)
        return 1
    from chalicelib import signing
    from chalicelib.errors import ConfigurationError
    from chalicelib.settings import load_settings, with_secrets
    from deploy.stages import StageError, load
    from deploy.targets import stage_target

    try:
        stage = load(args.stage)
        table = stage_target(args.stage)
        settings = load_settings(with_secrets({"SECRETS_PARAMETER_PATH": stage.secrets_path}))
    except (StageError, ConfigurationError) as error:
        print(f"rekey failed: {error}", file=sys.stderr)
        return 1
    previous = settings.hash_key_previous
    antispam = AntiSpam(settings, signing.derive_key(settings.hash_key, "anti-spam"),
                        signing.derive_key(previous, "anti-spam") if previous else None)
    outcome = rekey(table, antispam, lambda n: print(f"{n} addresses…", flush=True))
    for what, count in sorted(outcome.items()):
        print(f"{what}: {count}")
    if previous:
        print(f"next: make rotate-key STAGE={stage.name} KEY=HASH_KEY FINISH=1, then make deploy STAGE={stage.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
