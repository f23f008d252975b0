"""`make import FILE=… [STAGE=…] [DRY_RUN=1]`: the operator's import command.

Without --stage it writes into the table of the `make run` stack listening on
--port (PORT, default 8000), found through the file that stack writes in
.local/; with --stage, into that stage's table (deploy/stages.py) with the
operator's AWS credentials and region from the environment.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import ConfigurationError
from chalicelib.store.table import Table
from deploy.stage_config import StageError, stage_settings
from deploy.targets import email_hasher, local_target, stage_target
from importer.backup import is_export
from importer.import_options import Options
from importer.model import ImportError_
from importer.restore import render_restore, restore
from importer.run import progress_bar, render_report, run_import

PROJECT = Path(__file__).resolve().parents[1]
_USERNAME_HINT = "letters, digits, '_' or '-', 3 to 30 of them"
REDIRECTS = PROJECT / ".local" / "redirects"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m importer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path, help="a Blogger backup or Takeout feed.atom, a WordPress WXR, a Disqus XML, "
                        "an Isso database, a Remark42 backup, a Commento or Ghost export, a folder of Markdown "
                        "posts (Jekyll, Hugo, Eleventy), or this blog's own export (make export), which is restored")
    parser.add_argument("--stage", help="write to this stage's table (else: the running `make run`)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")),
                        help="which `make run` stack (its PORT); default $PORT or 8000")
    parser.add_argument("--dry-run", action="store_true", help="read everything, report, write nothing")
    parser.add_argument("--pages", action="store_true", help="import pages too (WordPress, Blogger, Ghost, Markdown)")
    parser.add_argument("--author", action="append", default=[], metavar="OLD=NEW",
                        help="give posts by OLD (the source's author name) to the existing account NEW")
    parser.add_argument("--default-author", default="admin",
                        help="the account that gets posts with no author in the file (default: admin), and with "
                             "--no-create-authors every post not mapped by --author")
    parser.add_argument("--no-create-authors", action="store_true",
                        help="make no account for the file's post authors (by default each becomes an author "
                             "account with no usable password)")
    parser.add_argument("--no-create-pages", action="store_true",
                        help="Disqus: skip threads whose address matches no post here, instead of creating one")
    parser.add_argument("--slugs", type=Path, help="a JSON object: old URL -> the slug to give that post")
    parser.add_argument("--redirects", type=Path,
                        help="where to write the redirect map, old URL -> new slug (default: a new file named "
                             f"after the imported one in {REDIRECTS.relative_to(PROJECT)}/, never an earlier map)")
    parser.add_argument("--merge", action="store_true",
                        help="restoring this blog's export: add to a table that is not empty (else refused)")
    parser.add_argument("--trust-accounts", action="store_true",
                        help="restoring an export made with --with-secrets: keep its accounts' roles and password "
                             "hashes (else every account comes in as a reader without a password)")
    parser.add_argument("--max-reply-depth", type=int, help="default: the stage's MAX_REPLY_DEPTH, else 5")
    return parser


def _pairs(values: list[str]) -> dict[str, str]:
    from chalicelib.blog.accounts import valid_username

    pairs: dict[str, str] = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old.strip() or not valid_username(new.strip()):
            raise ImportError_(f"--author {value!r}: write OLD=NEW, NEW an existing username ({_USERNAME_HINT})")
        pairs[old.strip()] = new.strip()
    return pairs


def _slug_map(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    from chalicelib.blog.slugs import is_valid_slug

    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ImportError_(f"--slugs {path}: not a readable JSON file ({error})") from None
    if not isinstance(loaded, dict) or not all(isinstance(v, str) and is_valid_slug(v) for v in loaded.values()):
        raise ImportError_(f"--slugs {path}: must be a JSON object of old URL -> slug (lower-case words and hyphens)")
    return {str(k): v for k, v in loaded.items()}


def _check_accounts(table: Table, usernames: set[str]) -> None:
    """Imported posts go to existing accounts only: a post by nobody could not be edited by its author."""
    from chalicelib.store import keys

    missing = sorted(name for name in usernames if table.get(keys.user(name)) is None)
    if missing:
        raise ImportError_(f"no account {', '.join(map(repr, missing))} in the table: sign it up first, or give "
                           "the posts to another with --default-author / --author OLD=NEW")


def _restore(args: argparse.Namespace) -> int:
    """This blog's own export: restored whole (importer/restore.py), not read as another blog's."""
    table = stage_target(args.stage) if args.stage else local_target(args.port, required=not args.dry_run)
    with progress_bar(sys.stderr) as bar:
        report = restore(args.file, table, merge=args.merge, dry_run=args.dry_run, progress=bar,
                         trust_accounts=args.trust_accounts)
    print(render_restore(report, args.dry_run))
    return 1 if report.mismatches else 0
def redirect_map_path(source: Path, folder: Path) -> Path:
    """A new file in ``folder`` named after the imported file (``blog.xml`` gives ``blog.json``, then
    ``blog-2.json`` …): each import keeps its own map, and an earlier one is never overwritten."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = source.name.removesuffix(".gz").rsplit(".", 1)[0] or "import"
    for number in range(1, 10_000):
        candidate = folder / (f"{stem}.json" if number == 1 else f"{stem}-{number}.json")
        try:
            candidate.touch(exist_ok=False)  # claimed atomically: two imports at once never share a name
        except FileExistsError:
            continue
        return candidate
    raise ImportError_(f"{folder}: 10,000 redirect maps named after {source.name} already; pass --redirects FILE")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        from chalicelib.blog.accounts import valid_username

        if not args.file.exists():
            raise ImportError_(f"{args.file}: no such file or folder")
        if not valid_username(args.default_author):
            raise ImportError_(f"--default-author {args.default_author!r}: not a username ({_USERNAME_HINT})")
        if args.file.is_file():
            with args.file.open("rb") as handle:
                if is_export(handle):
                    return _restore(args)
        settings = stage_settings(args.stage or "local")
        depth = args.max_reply_depth if args.max_reply_depth is not None else settings.max_reply_depth
        options = Options(source="", default_author=args.default_author, authors=_pairs(args.author),
                          slugs=_slug_map(args.slugs), create_pages=not args.no_create_pages, dry_run=args.dry_run,
                          email_hash=email_hasher(args.stage), create_authors=not args.no_create_authors,
                          reserved=settings.admins)
        # A dry run compares with the table when there is one to read, and still reports without one.
        table = stage_target(args.stage) if args.stage else local_target(args.port, required=not args.dry_run)
        if table is not None:
            _check_accounts(table, {options.default_author, *options.authors.values()})
        report = run_import(args.file, table, options, pages=args.pages, max_depth=depth,
                            progress=progress_bar(sys.stderr))
    except (ImportError_, StageError, ConfigurationError) as error:
        print(f"import: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"import: DynamoDB refused or could not be reached ({error}); nothing half-written: "
              "run the same command again to resume", file=sys.stderr)
        return 1
    print(render_report(report, args.dry_run))
    if not args.dry_run and report.redirects:
        where = args.redirects or redirect_map_path(args.file, REDIRECTS)
        where.write_text(json.dumps(report.redirects, indent=1, ensure_ascii=False) + "\n")
        print(f"Redirect map ({len(report.redirects)} addresses): {where}")
    return 0
