"""`make migrate [STAGE=…]`: bring a table written by older code to today's layout.

Five steps, each idempotent and resumable: the posts' summary items (below);
drafts saved before the index of every author's drafts; accounts made before
their indexes (the admin's list of people, and the ADMINS index of admins whose
role is stored on the account); comments written before two indexes: the
commenters' (a person's own data), which for comments by e-mail needs the
stage's HASH_KEY in the environment (the local stack's own is read from
.local/secrets.json), and the site-wide newest comments (the feed); and votes
given while signed in before the voters' index. Last, posts published before
search existed join its index (index_search), and comments written before the
moderators' comment search join theirs (index_comment_search).

Before, a post's counts (comment_count, favorites_count) and its list index
keys (GSI1, GSI2) were on the post item itself, and a label membership held
only the slug. Now they are on the post's summary item (POST#<slug> / #SUMMARY)
and each label membership carries a copy of the summary (chalicelib/store/keys.py).

For each post still in the old shape, one transaction: remove the counts and
index keys from the post item, put its summary item with those counts, put its
label memberships with the summary. The post item is conditioned on the
version and counts read, so a write racing the migration (an old Lambda still
counting a comment) cancels it, and the post is read again. A post in the new
shape (migrated, or written since) is left alone, so the command is idempotent
and resumable: killed at any point, it is run again and finishes what is left,
with nothing counted twice. It Scans the table (paged): an operator command, not
a request path.

Without --stage it migrates the table of the `make run` stack on --port, as
`make import` does; with --stage, that stage's table, with the operator's AWS
credentials and region from the environment.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from chalicelib.blog.ids import new_ulid
from chalicelib.blog.post_upkeep import COUNT_FIELDS, derived, summary_item
from chalicelib.blog.status import Status
from chalicelib.blog.threads import commenter_entry, identity_by
from chalicelib.blog.tokens import ADMIN
from chalicelib.store import keys
from chalicelib.store.table import (
    ConditionFailed,
    Item,
    Table,
    TransactionCancelled,
    Write,
    deserialize,
    put,
    serialize,
)

_ATTEMPTS = 5
_PAGE = 100
_LEGACY = (*COUNT_FIELDS, *keys.INDEX_KEY_ATTRIBUTES)


def needs_migration(post: Item) -> bool:
    """A post item in the old shape: it still carries counts or list index keys."""
    return post.get("SK") == keys.POST_SK and any(name in post for name in _LEGACY)


def post_items(table: Table) -> Iterator[Item]:
    """Every post item of the table, by a paged Scan."""
    return scanned(table, "SK = :post", {":post": keys.POST_SK})


def scanned(table: Table, condition: str, values: dict[str, Any],
            names: dict[str, str] | None = None) -> Iterator[Item]:
    """Every item that ``condition`` (a FilterExpression) keeps, by a paged, consistent Scan."""
    start: dict[str, Any] | None = None
    while True:
        params: dict[str, Any] = {
            "TableName": table.name, "Limit": _PAGE, "FilterExpression": condition,
            "ExpressionAttributeValues": serialize(values), "ConsistentRead": True,
        }
        if names:
            params["ExpressionAttributeNames"] = names
        if start:
            params["ExclusiveStartKey"] = start
        response = table.client.scan(**params)
        yield from (deserialize(i) for i in response.get("Items", []))
        start = response.get("LastEvaluatedKey")
        if not start:
            return


def migration_writes(post: Item) -> list[Write]:
    """One post's move to the new shape, as one transaction (see the module's docstring)."""
    counts = {name: int(post.get(name, 0)) for name in COUNT_FIELDS}
    full = {**post, **counts}
    gone = [name for name in _LEGACY if name in post]
    names = {f"#g{i}": name for i, name in enumerate(gone)}
    remove = "REMOVE " + ", ".join(names)
    names["#version"] = "version"
    values: dict[str, Any] = {":version": post["version"]}
    condition = "#version = :version"
    for i, name in enumerate(COUNT_FIELDS):
        names[f"#c{i}"] = name
        values[f":c{i}"] = counts[name]
        # An absent count is 0: the old code wrote comment_count on create, favorites_count on the first favorite.
        absent = f" OR attribute_not_exists(#c{i})" if counts[name] == 0 else ""
        condition += f" AND (#c{i} = :c{i}{absent})"
    writes = [Write("Update", key=keys.post(post["slug"]), update=remove, condition=condition, names=names,
                    values=values),
              # The whole summary item: a post in the old shape has none (the migration writes it with the
              # post's REMOVE, in one transaction), so a Put is exact; the condition makes sure.
              put(summary_item(full), "attribute_not_exists(PK)")]
    # Its label memberships (and schedule entry), each with the summary: as a save would write them.
    writes += [put(entry) for entry in derived(full if post["status"] != Status.DELETING else None).entries.values()]
    return writes


def migrate(table: Table, progress: Callable[[str, str], None] | None = None) -> Counter[str]:
    """Migrate every post still in the old shape; returns how many posts went which way."""
    outcome: Counter[str] = Counter()
    for found in post_items(table):
        result = _migrate_one(table, found)
        outcome[result] += 1
        if progress is not None:
            progress(str(found["slug"]), result)
    return outcome


def _migrate_one(table: Table, post: Item | None) -> str:
    for _ in range(_ATTEMPTS):
        if post is None:
            return "gone meanwhile"
        if not needs_migration(post):
            return "already in the new shape"
        try:
            table.transact(migration_writes(post))
            return "migrated"
        except TransactionCancelled:
            post = table.get(keys.post(post["slug"]))  # written meanwhile: read it again
    raise RuntimeError(f"post {post['slug'] if post else '?'} kept changing while migrating; run again to resume")


def index_accounts(table: Table) -> Counter[str]:
    """Accounts made before their indexes: into the accounts' list (GSI1, for People), and an admin whose role is
    stored on the account into ADMINS (GSI2, for held-comment mail). Conditioned on the role read: an account whose
    role changed meanwhile was indexed by that change."""
    outcome: Counter[str] = Counter()
    for account in scanned(table, "SK = :user", {":user": keys.user("x")["SK"]}):
        if account.get("renamed_to"):
            continue  # an old name's reservation (blog/renames.py), not an account
        username, role = str(account["username"]), str(account.get("role", ""))
        wanted = {**keys.account_index_keys(username), **(keys.stored_admin_index_keys(username) if role == ADMIN
                                                            else {})}
        missing = {name: value for name, value in wanted.items() if account.get(name) != value}
        if "account_id" not in account:
            # Accounts made before ids: from now on their tokens name the id (a token issued before no longer passes).
            missing["account_id"] = new_ulid()
        if not missing:
            outcome["accounts indexed already"] += 1
            continue
        names = {f"#k{i}": name for i, name in enumerate(missing)} | {"#role": "role"}
        values = {f":k{i}": value for i, value in enumerate(missing.values())} | {":role": role}
        try:
            table.write(Write("Update", key=keys.user(username), names=names, values=values,
                              # A sign-in may have given the id meanwhile: that one stays.
                              update="SET " + ", ".join(f"#k{i} = if_not_exists(#k{i}, :k{i})" if name == "account_id"
                                                        else f"#k{i} = :k{i}" for i, name in enumerate(missing)),
                              condition="attribute_exists(PK) AND #role = :role"))
            outcome["accounts indexed"] += 1
        except ConditionFailed:
            outcome["accounts changed meanwhile"] += 1
    return outcome


def index_drafts(table: Table) -> Counter[str]:
    """Drafts saved before every author's drafts had an index (GSI1 DRAFTS, an admin's list): their summary items
    get its keys, conditioned on the draft as read (a draft saved meanwhile was indexed by that save)."""
    outcome: Counter[str] = Counter()
    drafts = scanned(table, "SK = :summary AND #status = :draft AND attribute_not_exists(GSI1PK)",
                     {":summary": keys.POST_SUMMARY_SK, ":draft": Status.DRAFT}, {"#status": "status"})
    for draft in drafts:
        index = keys.drafts_index_keys(draft["updated_at"], draft["slug"])
        try:
            table.write(Write("Update", key=keys.post_summary(draft["slug"]), names={"#status": "status"},
                              update="SET GSI1PK = :pk, GSI1SK = :sk",
                              condition="#status = :draft AND updated_at = :seen AND attribute_not_exists(GSI1PK)",
                              values={":pk": index["GSI1PK"], ":sk": index["GSI1SK"], ":draft": Status.DRAFT,
                                      ":seen": draft["updated_at"]}))
            outcome["drafts indexed"] += 1
        except ConditionFailed:
            outcome["drafts changed meanwhile"] += 1
    return outcome


def index_votes(table: Table) -> Counter[str]:
    """Votes given while signed in before the voters' index (GSI2 VOTER#, an account's own data and deletion): each
    gets its keys while it stands as read (a vote changed meanwhile was indexed by that change)."""
    outcome: Counter[str] = Counter()
    votes = scanned(table, "begins_with(PK, :post) AND begins_with(SK, :vote) AND attribute_not_exists(GSI2PK)",
                    {":post": keys.post_partition(""), ":vote": keys.VOTE_PREFIX})
    for vote in votes:
        _, comment_id, voter = str(vote["SK"]).split("#", 2)
        if not voter.startswith("user:"):
            continue  # a voter without an account: nothing to export or delete it by
        index = keys.voter_index_keys(voter, comment_id)
        try:
            table.write(Write("Update", key={"PK": vote["PK"], "SK": vote["SK"]}, names={"#v": "value"},
                              update="SET GSI2PK = :pk, GSI2SK = :sk", condition="#v = :seen",
                              values={":pk": index["GSI2PK"], ":sk": index["GSI2SK"], ":seen": vote["value"]}))
            outcome["votes indexed"] += 1
        except ConditionFailed:
            outcome["votes changed meanwhile"] += 1
    return outcome


def index_comments(table: Table, email_hash: Callable[[str], str] | None) -> Counter[str]:
    """Comments written before two indexes: the commenters' (COMMENTER#…, for a person's own data), and the
    site-wide newest comments (GSI2 COMMENTS, for the comments feed and the console's recent comments).

    A commenter entry already there is left as it is (a conditional Put), and a comment already in the feed's
    index is not written, so a second run writes nothing. A comment by e-mail needs the stage's keyed hash
    (HASH_KEY); without it such comments are counted and left out of the commenters' index.
    """
    outcome: Counter[str] = Counter()
    comments = scanned(table, "begins_with(PK, :post) AND (begins_with(SK, :public) OR begins_with(SK, :held))",
                       {":post": keys.post_partition(""), ":public": keys.COMMENT_PREFIX, ":held": keys.HELD_PREFIX})
    for comment in comments:
        if comment.get("status") == Status.APPROVED and "GSI2PK" not in comment:
            outcome[_into_the_feed(table, comment)] += 1
        identity = identity_by(comment, email_hash)
        if identity is None:
            outcome["comments without a known commenter" if not comment.get("author_email")
                    else "comments by e-mail left (no HASH_KEY)"] += 1
            continue
        try:
            table.write(put(commenter_entry(comment, identity), "attribute_not_exists(PK)"))
            outcome["commenter entries written"] += 1
        except ConditionFailed:
            outcome["commenter entries there already"] += 1
    return outcome


def index_held_by_author(table: Table) -> Counter[str]:
    """Comments held before the per-author queue (GSI2 MODAUTHOR#, an author's console) join it: each gets its
    post's author while it stands as read (one that changed meanwhile was filed by that change)."""
    outcome: Counter[str] = Counter()
    authors: dict[str, str | None] = {}
    held = scanned(table, "begins_with(PK, :post) AND begins_with(SK, :held) AND attribute_not_exists(post_author)",
                   {":post": keys.post_partition(""), ":held": keys.HELD_PREFIX})
    for comment in held:
        slug = str(comment["post_slug"])
        if slug not in authors:
            summary = table.get(keys.post_summary(slug))
            authors[slug] = str(summary["author"]) if summary else None
        author = authors[slug]
        if author is None:
            outcome["held comments of a post not there"] += 1
            continue
        index = keys.author_queue_keys(author, str(comment["status"]), comment["created_at"], comment["id"])
        try:
            table.write(Write("Update", key={"PK": comment["PK"], "SK": comment["SK"]}, names={"#status": "status"},
                              update="SET post_author = :author, GSI2PK = :pk, GSI2SK = :sk",
                              condition="#status = :seen AND attribute_not_exists(post_author)",
                              values={":author": author, ":pk": index["GSI2PK"], ":sk": index["GSI2SK"],
                                      ":seen": comment["status"]}))
            outcome["held comments put in their author's queue"] += 1
        except ConditionFailed:
            outcome["held comments changed meanwhile"] += 1
    return outcome


def _into_the_feed(table: Table, comment: Item) -> str:
    index = keys.recent_comment_index_keys(comment["created_at"], comment["id"])
    try:
        # Only while it is still public: a tombstone drops these keys, and must not get them back.
        table.write(Write("Update", key={"PK": comment["PK"], "SK": comment["SK"]},
                          update="SET GSI2PK = :pk, GSI2SK = :sk", condition="#status = :approved",
                          names={"#status": "status"},
                          values={":pk": index["GSI2PK"], ":sk": index["GSI2SK"], ":approved": Status.APPROVED}))
        return "comments put in the feed's index"
    except ConditionFailed:
        return "comments changed meanwhile"


def index_search(table: Table) -> Counter[str]:
    """Published and scheduled posts written before search existed join its index (chalicelib/blog/search.py).

    The same reindex the stream runs: it diffs against the post's search document, so a second run writes
    nothing, and a document of a newer version (the stream got there first) is left alone."""
    from chalicelib.blog.search import Search

    outcome: Counter[str] = Counter()
    search = Search(table, b"")  # builds no cursors here
    visible = scanned(table, "SK = :post AND #status IN (:published, :scheduled)",
                      {":post": keys.POST_SK, ":published": Status.PUBLISHED, ":scheduled": Status.SCHEDULED},
                      {"#status": "status"})
    for post in visible:
        written = search.reindex(str(post["slug"]), post)
        outcome["posts indexed for search" if written else "posts already in the search index"] += 1
    return outcome


def index_comment_search(table: Table) -> Counter[str]:
    """Comments written before the moderators' comment search join its index (chalicelib/blog/comment_search.py).

    Every public and held comment's postings are put (the same items again on a second run); a tombstone
    has none."""
    from chalicelib.blog.comment_search import CommentSearch

    outcome: Counter[str] = Counter()
    search = CommentSearch(table, b"")  # builds no cursors here
    # A post's partition only: a commenter's index entries also have sort keys that begin "COMMENT#".
    comments = scanned(table, "begins_with(PK, :post) AND (begins_with(SK, :public) OR begins_with(SK, :held))",
                       {":post": keys.post_partition(""), ":public": keys.COMMENT_PREFIX, ":held": keys.HELD_PREFIX})
    for comment in comments:
        if search.reindex(None, comment, held=str(comment["SK"]).startswith(keys.HELD_PREFIX)):
            outcome["comments indexed for comment search"] += 1
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.migrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", help="migrate this stage's table (else: the running `make run`'s)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")),
                        help="which `make run` stack (its PORT); default $PORT or 8000")
    args = parser.parse_args(argv)
    from deploy.stage_config import StageError
    from deploy.targets import email_hasher, local_target, stage_target

    try:
        table = stage_target(args.stage) if args.stage else local_target(args.port, required=True)
    except StageError as error:
        print(f"make migrate: {error}", file=sys.stderr)
        return 2
    assert table is not None
    for outcome in (migrate(table), index_drafts(table), index_accounts(table),
                    index_comments(table, email_hasher(args.stage)), index_votes(table), index_search(table),
                    index_comment_search(table), index_held_by_author(table)):
        print(", ".join(f"{count} {what}" for what, count in sorted(outcome.items())) or "nothing of this kind")
    return 0


if __name__ == "__main__":
    sys.exit(main())
