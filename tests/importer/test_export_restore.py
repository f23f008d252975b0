"""Export, then restore into an empty table: the API answers every read exactly as before.

The blog is built through the API itself (posts of every status, threads with
replies, held, spam and deleted comments, votes, favorites, follows, accounts
in every role, odd Unicode); every public and admin GET is recorded, cursors
followed page by page; the table is exported, dropped, made again empty and
restored from the file; the same GETs must answer the same, byte for byte.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from chalicelib import services as services_module
from chalicelib.blog import clock as clock_module
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table
from deploy.migrate import index_comment_search
from importer.backup import FORMAT, NO_PASSWORD
from importer.export import export_table, write_export
from importer.model import ImportError_
from importer.restore import restore
from infra.table import create_table
from tests.conftest import PASSWORD, TEST_TABLE, Api, Blog, login
from tests.importer.steps import SAMPLES, everything, import_file
from tests.settings_steps import Clock
from tests.throttling_steps import PartialBatches

ODD = "Z\u0301oe\u200d \u202eevil\u202c \U0001f98a \u0645\u0631\u062d\u0628\u0627 \ufeff\u00a0end"
Read = tuple[str, str | None]  # a path, and who reads it (a token or nobody)


def _table() -> Table:
    """The table as the operator's command reaches it: a client of its own (its Scan is no request's)."""
    return Table(boto3.client("dynamodb", region_name="us-east-1"), TEST_TABLE)


def _fresh_table() -> None:
    """The test table dropped and made again, empty: where a restore lands."""
    client = dynamodb_client()
    client.delete_table(TableName=TEST_TABLE)
    create_table(client, TEST_TABLE)
    services_module.reset()


class Scene:
    """A small blog with everything an export must carry, and the reads that show it."""

    def __init__(self, api: Api, blog: Blog, configure: Callable[..., Settings]) -> None:
        self.api, self.blog = api, blog
        configure(COMMENT_RATE_LIMIT="1000/60", VOTE_RATE_LIMIT="1000/60", MODERATION="off")
        self.configure = configure
        self.admin = blog.admin()
        self.alice = blog.author("alice")
        self.bob = blog.author("bob")
        self.carol = blog.user("carol")
        self.dave = blog.user("dave")
        self.slugs: list[str] = []
        self.comment_ids: list[str] = []

    def build(self) -> None:
        blog, api = self.blog, self.api
        first = blog.post(self.alice, title="First light", labels=["News", "Ünïcode ☃"],
                          body=f"Hello **{ODD}**", summary=ODD)["slug"]
        second = blog.post(self.alice, title=f"Second {ODD}", labels=["news"])["slug"]
        third = blog.post(self.bob, title="Bob writes", labels=["Other"], comments_closed=False)["slug"]
        for n in range(3):
            self.slugs.append(blog.post(self.bob, title=f"Filler {n}", labels=["Other"])["slug"])
        draft = blog.post(self.alice, title="Not yet", status="draft")["slug"]
        later = (clock_module.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        scheduled = blog.post(self.bob, title="Tomorrow's news", status="scheduled", published_at=later,
                              labels=["News"])["slug"]
        self.slugs += [first, second, third, draft, scheduled]
        self.first, self.draft, self.scheduled = first, draft, scheduled

        # A thread: a comment, a reply, a reply to the reply; more from accounts and strangers.
        top = blog.comment(first, author_name=ODD, author_email="ann@example.com",
                           author_website="https://ann.example/", body=f"Top {ODD}")["comment"]
        reply = blog.comment(first, parent_id=top["id"], author_name="Ben")["comment"]
        deeper = blog.comment(first, parent_id=reply["id"], token=self.carol)["comment"]
        doomed = blog.comment(first, author_name="Cy")["comment"]
        blog.comment(first, parent_id=doomed["id"], author_name="Di")
        spammy = blog.comment(first, author_name="Spammer", body="cheap pills")["comment"]
        for n in range(4):
            self.comment_ids.append(blog.comment(second, body=f"Chatter {n}", author_name="Ed")["comment"]["id"])
        self.comment_ids += [top["id"], reply["id"], deeper["id"], doomed["id"], spammy["id"]]

        # Deleted with a reply: a tombstone. Spam and pending ones wait in the queues.
        assert api.delete(f"/comments/{doomed['id']}", token=self.admin).status == 204
        assert api.post(f"/comments/{spammy['id']}/moderate", {"action": "spam"}, token=self.admin).status == 200
        self.configure(MODERATION="all")
        pending = api.post(f"/posts/{first}/comments", {"body": "Hold me", "author_name": "Fay"})
        assert pending.status == 202, pending.body
        self.comment_ids.append(pending.json["comment"]["id"])
        self.configure(MODERATION="off")

        # Votes from accounts; favorites and follows through the RealWorld API.
        for token, value in ((self.carol, 1), (self.dave, 1), (self.bob, -1)):
            assert api.post(f"/comments/{top['id']}/vote", {"value": value}, token=token).status == 200
        assert api.post(f"/comments/{reply['id']}/vote", {"value": -1}, token=self.dave).status == 200
        # Reactions on the post and a comment, from an account and from a browser's voter token.
        reactors: list[tuple[str, str | None, dict[str, str]]] = [
            (f"/posts/{first}", self.carol, {}), (f"/comments/{top['id']}", None, {"X-Voter-Token": "b1"}),
            (f"/comments/{top['id']}", self.dave, {})]
        for path, reactor, headers in reactors:
            assert api.post(f"{path}/reactions", {"emoji": "\u2764\ufe0f", "active": True}, token=reactor,
                            headers=headers).status == 200
        for token in (self.carol, self.dave):
            assert api.post(f"/api/articles/{first}/favorite", token=token).status == 200
        assert api.post(f"/api/articles/{third}/favorite", token=self.carol).status == 200
        assert api.post("/api/profiles/alice/follow", token=self.carol).status == 200
        assert api.post("/api/profiles/bob/follow", token=self.carol).status == 200
        for slug in self.slugs:  # what the table's stream does on a stage: each post in the search index,
            services_module.services().search.reindex(slug, _table().get(keys.post(slug)))
        index_comment_search(_table())  # and each comment in the moderators' comment search

    def reads(self) -> list[Read]:
        """Every public and admin GET worth comparing; lists at limit=2 so cursors are followed."""
        first = self.first
        reads: list[Read] = [
            ("/posts?limit=2", None), ("/posts?label=news&limit=2", None), ("/posts?author=bob&limit=2", None),
            ("/posts?status=draft", self.alice), ("/posts?status=scheduled", self.bob),
            ("/labels", None), ("/archive", None), ("/feeds/posts.atom", None), ("/feeds/comments.atom", None),
            ("/feeds/posts.atom?label=news", None), ("/sitemap.xml", None),
            (f"/posts/{quote(first)}/comments.atom", None),
            ("/moderation/comments?status=pending", self.admin), ("/moderation/comments?status=spam", self.admin),
            ("/moderation/audit?limit=2", self.admin),
            ("/api/articles", None), ("/api/articles", self.carol), ("/api/articles/feed", self.carol),
            ("/api/articles?tag=News", None), ("/api/articles?favorited=carol", None),
            ("/api/articles?author=bob&limit=2&offset=1", None), ("/api/tags", None),
            ("/api/profiles/alice", self.carol), ("/api/profiles/bob", None), ("/api/user", self.carol),
            (f"/api/articles/{first}/comments", None),
        ]
        for slug in self.slugs:
            reads += [(f"/posts/{quote(slug)}?embed=comments&comments_limit=2", None),
                      (f"/posts/{quote(slug)}", self.admin), (f"/api/articles/{quote(slug)}", self.carol)]
            for sort in ("oldest", "newest", "score"):
                reads.append((f"/posts/{quote(slug)}/comments?sort={sort}&limit=2", None))
        reads += [(f"/comments/{cid}", None) for cid in self.comment_ids]
        reads += [(f"/comments/{cid}", self.admin) for cid in self.comment_ids]
        return reads


def _answers(api: Api, reads: list[Read]) -> list[tuple[str, int, str | None, str]]:
    """Each read's status, ETag and body; a list's later pages by its cursors, each one recorded."""
    answers = []
    for path, token in reads:
        cursor: str | None = None
        for _ in range(100):
            url = path + (f"&cursor={quote(cursor, safe='')}" if cursor else "")
            reply = api.get(url, token=token)
            answers.append((url, reply.status, reply.headers.get("etag"), reply.body.decode()))
            is_list = reply.status == 200 and reply.headers.get("content-type", "").startswith("application/json")
            cursor = reply.json.get("next_cursor") if is_list and isinstance(reply.json, dict) else None
            if cursor is None:
                break
    return answers


@pytest.fixture
def scene(api: Api, blog: Blog, configure: Callable[..., Settings], clock: Clock) -> Scene:
    built = Scene(api, blog, configure)
    built.build()
    return built


def _export(path: Path, with_secrets: bool = False) -> None:
    write_export(_table(), path, with_secrets)


def test_a_restored_blog_answers_every_read_as_the_original(api: Api, scene: Scene, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # One instant for both rounds of reads: a token issued by /api/user carries the time it was issued.
    instant = clock_module.now()
    monkeypatch.setattr(clock_module, "now", lambda: instant)
    reads = scene.reads()
    before = _answers(api, reads)
    assert sum(1 for a in before if "cursor=" in a[0]) >= 10  # the lists really were paged
    assert all(status in (200, 404) for _, status, _, _ in before)
    exported = tmp_path / "blog.jsonl"
    _export(exported, with_secrets=True)

    _fresh_table()
    report = restore(exported, _table(), trust_accounts=True)

    assert report.mismatches == []
    assert report.written["post"] == len(scene.slugs)
    after = _answers(api, reads)
    for was, now in zip(before, after, strict=True):
        assert was == now


def _restored() -> list[dict[str, Any]]:
    """The table's items without the restore's own markers and its imported_from stamps."""
    return [{k: v for k, v in item.items() if k != "imported_from"} for item in everything()
            if not str(item["PK"]).startswith("IMPORTED#")]


def _lasting(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What an export carries: everything but short-lived items (rate windows, duplicate guards, idempotency)."""
    return [item for item in items if not str(item["PK"]).split("#")[0].endswith(("RATE", "LOGINFAIL"))
            and not str(item["PK"]).startswith(("DUP#", "IDEM#"))]


def test_every_kind_of_record_is_in_the_file_and_the_table_comes_back_whole(scene: Scene, tmp_path: Path) -> None:
    exported = tmp_path / "blog.jsonl"
    _export(exported, with_secrets=True)
    original = everything()

    _fresh_table()
    report = restore(exported, _table(), trust_accounts=True)

    kinds = {json.loads(line).get("kind") for line in exported.read_text(encoding="utf-8").splitlines()[1:-1]}
    assert {"post", "comment", "vote", "reaction", "favorite", "account", "follow", "audit"} <= kinds
    assert report.written["comment (deleted)"] == 1 and report.written["comment (spam)"] == 1
    assert report.written["comment (pending)"] == 1
    # Every item as it was (restored comments are marked, so no notification goes out for them),
    # with no short-lived item (rate windows) carried over.
    assert _restored() == _lasting(original)



def test_a_restore_that_dynamodb_throttles_still_writes_everything(scene: Scene, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an export (with its password hashes), and DynamoDB taking only half of the restore's first 4 batches
    exported = tmp_path / "blog.jsonl"
    _export(exported, with_secrets=True)
    original = everything()
    _fresh_table()
    target = _table()
    throttled = PartialBatches(target.client, calls=4)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # the back-off, not waited for here

    # When it is restored
    report = restore(exported, target, trust_accounts=True)

    # Then writes were really left over and sent again, and the table is whole, counts agreeing
    assert sum(throttled.left_over) > 0
    assert report.mismatches == []
    assert _restored() == _lasting(original)


def test_a_second_restore_of_the_same_file_changes_nothing(scene: Scene, tmp_path: Path) -> None:
    exported = tmp_path / "blog.jsonl"
    _export(exported)
    _fresh_table()
    restore(exported, _table())
    once = everything()

    again = restore(exported, _table())

    assert everything() == once
    assert again.written.get("post", 0) == 0 and again.kept["post"] == len(scene.slugs)
    assert again.mismatches == []


def test_password_hashes_stay_out_unless_asked_for(api: Api, scene: Scene, tmp_path: Path) -> None:
    plain, secret = tmp_path / "plain.jsonl", tmp_path / "secret.jsonl"
    _export(plain)
    _export(secret, with_secrets=True)

    assert "password_hash" not in plain.read_text(encoding="utf-8")
    assert "scrypt$" not in plain.read_text(encoding="utf-8")
    assert secret.read_text(encoding="utf-8").count("scrypt$") == 5  # root, alice, bob, carol, dave
    assert plain.stat().st_mode & 0o777 == 0o600

    _fresh_table()
    restore(plain, _table())
    # Tokens still work (the account is there); the password does not, and signing in is a refusal, not a 500.
    assert api.get("/auth/me", token=scene.carol).status == 200
    assert login(api, "carol@example.com").status == 401
    assert _table().get({"PK": "USER#carol", "SK": "#USER"})["password_hash"] == NO_PASSWORD  # type: ignore[index]


def test_restored_with_secrets_accounts_sign_in_with_their_passwords(api: Api, scene: Scene, tmp_path: Path) -> None:
    exported = tmp_path / "blog.jsonl"
    _export(exported, with_secrets=True)
    _fresh_table()

    restore(exported, _table(), trust_accounts=True)

    assert login(api, "carol@example.com", PASSWORD).status == 200


def test_odd_unicode_comes_back_unchanged(api: Api, scene: Scene, tmp_path: Path) -> None:
    first = f"/posts/{quote(scene.first)}"
    post, comments = api.get(first).json, api.get(f"{first}/comments?limit=100").json["items"]
    assert "\u202e" in post["summary"] and "\U0001f98a" in post["body"]  # as the API stored them (NFC)
    exported = tmp_path / "blog.jsonl"
    _export(exported)
    assert "\U0001f98a" in exported.read_text(encoding="utf-8")  # UTF-8 as it is, not escaped
    _fresh_table()

    restore(exported, _table())

    assert api.get(first).json == post
    assert api.get(f"{first}/comments?limit=100").json["items"] == comments


# -- refusals ----------------------------------------------------------------

def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


@pytest.fixture
def exported(scene: Scene, tmp_path: Path) -> Path:
    path = tmp_path / "blog.jsonl"
    _export(path)
    _fresh_table()
    return path


def _refused(path: Path) -> str:
    with pytest.raises(ImportError_) as refusal:
        restore(path, _table())
    assert everything() == []  # nothing written, not even the restore's marker
    return str(refusal.value)


def test_a_file_of_a_newer_version_is_refused(exported: Path) -> None:
    lines = _lines(exported)
    header = json.loads(lines[0])
    exported.write_text(json.dumps({**header, "version": 2}) + "\n" + "".join(lines[1:]), encoding="utf-8")

    assert "version 2, newer than this importer reads" in _refused(exported)


def test_a_garbled_line_is_refused_by_its_number_before_anything_is_written(exported: Path) -> None:
    lines = _lines(exported)
    lines[7] = lines[7][:20] + "\n"
    exported.write_text("".join(lines), encoding="utf-8")

    assert _refused(exported).startswith("line 8: not a JSON record")


def test_a_file_cut_short_is_refused(exported: Path) -> None:
    exported.write_text("".join(_lines(exported)[:-3]), encoding="utf-8")

    assert "ends without its end line" in _refused(exported)


def test_a_record_whose_key_is_not_its_kind_is_refused(exported: Path) -> None:
    lines = _lines(exported)
    record = json.loads(lines[3])
    lines[3] = json.dumps({"kind": "account" if record["kind"] != "account" else "post",
                           "item": record["item"]}) + "\n"
    exported.write_text("".join(lines), encoding="utf-8")

    assert _refused(exported).startswith("line 4: a ")


def test_a_table_that_is_not_empty_is_refused_unless_merging(api: Api, blog: Blog, exported: Path) -> None:
    blog.user("someone")
    with pytest.raises(ImportError_, match="is not empty"):
        restore(exported, _table())

    report = restore(exported, _table(), merge=True)

    assert report.written["post"] > 0 and report.mismatches == []


def test_merging_keeps_a_post_already_here_and_skips_what_belongs_to_the_other(
        api: Api, blog: Blog, exported: Path, scene: Scene) -> None:
    token = blog.author("zed")
    mine = blog.post(token, title="First light")  # takes the exported first post's slug
    assert mine["slug"] == scene.first

    report = restore(exported, _table(), merge=True)

    assert api.get(f"/posts/{quote(scene.first)}").json["author"] == "zed"
    assert api.get(f"/posts/{quote(scene.first)}/comments").json["items"] == []
    assert any(reason.startswith("post: its slug is taken") for reason in report.skipped)
    assert report.mismatches == []


def test_the_export_streams_a_header_then_records_then_an_end_line(scene: Scene, tmp_path: Path) -> None:
    import io

    out = io.StringIO()
    written = export_table(_table(), out)

    lines = out.getvalue().splitlines()
    assert json.loads(lines[0])["format"] == FORMAT and json.loads(lines[0])["version"] == 1
    assert json.loads(lines[-1]) == {"end": True, "records": sum(written.values())}
    assert len(lines) == sum(written.values()) + 2


# -- cut off, resumed; checked --------------------------------------------------

class Killed(Exception):
    """Stands for the process dying between two writes."""


def _dies_after(writes: int) -> tuple[Table, list[int]]:
    """The operator's table, its client cut off before its ``writes``+1-th write call; [writes left]."""
    table = _table()
    left = [writes]

    def spend(**_: Any) -> None:
        if left[0] == 0:
            raise Killed()
        left[0] -= 1

    for operation in ("PutItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem"):
        table.client.meta.events.register(f"before-call.dynamodb.{operation}", spend)
    return table, left


def test_a_restore_cut_off_anywhere_completes_when_run_again(scene: Scene, tmp_path: Path) -> None:
    exported = tmp_path / "blog.jsonl"
    _export(exported)
    _fresh_table()
    counting, left = _dies_after(10**6)
    restore(exported, counting)
    whole, calls = everything(), 10**6 - left[0]
    assert calls > 15  # the marker, 11 posts, accounts, favorites, batches

    for cut in sorted({0, 1, calls // 4, calls // 2, 3 * calls // 4, calls - 1}):
        _fresh_table()
        with pytest.raises(Killed):
            restore(exported, _dies_after(cut)[0])
        report = restore(exported, _table())

        assert everything() == whole, f"cut after {cut} writes"
        assert report.mismatches == []


def test_counts_that_disagree_with_the_file_are_reported(scene: Scene, tmp_path: Path) -> None:
    exported = tmp_path / "blog.jsonl"
    _export(exported)
    lines = _lines(exported)
    chatter = next(i for i, line in enumerate(lines) if '"body": "Chatter 0"' in line)
    end = json.loads(lines[-1])
    edited = lines[:chatter] + lines[chatter + 1:-1] + [json.dumps({**end, "records": end["records"] - 1}) + "\n"]
    exported.write_text("".join(edited), encoding="utf-8")
    _fresh_table()

    report = restore(exported, _table())

    assert [m for m in report.mismatches if "comment_count" in m] == [
        f"{scene.slugs[4]}: comment_count is 4, but 3 items count for it"]


def test_imported_likes_and_the_votes_cast_here_come_back_and_agree(api: Api, tmp_path: Path) -> None:
    """Given an Isso thread whose likes came in as counts, and a reader here who voted on top of them,"""
    import_file(SAMPLES / "isso" / "isso-comments.db")
    alice = api.get("/posts/hello-world/comments").json["items"][0]
    assert api.post(f"/comments/{alice['id']}/vote", {"value": -1}, headers={"X-Voter-Token": "r1"}).status == 200
    exported = tmp_path / "blog.jsonl"
    _export(exported)
    _fresh_table()

    report = restore(exported, _table())  # when the blog is exported and restored,

    assert report.mismatches == []  # then the count check adds the imported counts to the votes it finds,
    restored = api.get("/posts/hello-world/comments").json["items"][0]
    assert (restored["likes"], restored["dislikes"]) == (2, 2)  # and the thread shows both


def test_thread_subscriptions_come_back_pending_or_confirmed_with_their_entries(api: Api, blog: Blog,
                                                                                 tmp_path: Path) -> None:
    """Given one confirmed and one pending subscription to a post,"""
    slug = str(blog.post(blog.author(), title="Followed closely")["slug"])
    hashes = {}
    for address in ("sue@example.org", "tom@example.org"):
        assert api.post(f"/posts/{slug}/subscriptions", {"email": address}).status == 202
        hashes[address] = services_module.services().antispam.email_hash(address)
    subscriptions = services_module.services().subscriptions
    sue = _table().get(keys.subscription(slug, hashes["sue@example.org"]))
    assert sue is not None
    subscriptions.confirm({"post": slug, "token": subscriptions.confirm_token(
        slug, hashes["sue@example.org"], int(sue["requested_at"]))})
    before = [i for i in everything() if str(i["PK"]).startswith(("SUBS#", "SUBBY#"))]
    exported = tmp_path / "blog.jsonl"
    _export(exported)
    _fresh_table()

    report = restore(exported, _table())  # when the blog is exported and restored,

    assert report.written["subscription"] == 2 and "other" not in report.read
    after = [i for i in everything() if str(i["PK"]).startswith(("SUBS#", "SUBBY#"))]
    assert sorted(i["state"] for i in after if str(i["PK"]).startswith("SUBS#")) == ["confirmed", "pending"]
    assert {(i["PK"], i["SK"]) for i in after} == {(i["PK"], i["SK"]) for i in before}  # each with its entry,
    pending = next(i for i in after if i.get("state") == "pending")
    assert "ttl" in pending and "ttl" not in next(i for i in after if i.get("state") == "confirmed")
    exported_data = subscriptions.of_address([hashes["sue@example.org"]])
    assert [s["post"] for s in exported_data] == [slug]  # and the address's own data finds it again
    assert restore(exported, _table()).written.get("subscription", 0) == 0  # a second run writes nothing


@pytest.mark.parametrize(("change", "refused"), [
    ({"state": "admin"}, "state: must be pending or confirmed"),
    ({"email_hash": "../USER#admin"}, "email_hash: must be an address's keyed hash"),
    ({"email": "not an address"}, "email: must be an e-mail address"),
    ({"role": "admin"}, "role: is not an attribute of a stored subscription"),
])
def test_a_crafted_subscription_is_refused_before_anything_is_written(
        api: Api, blog: Blog, tmp_path: Path, change: dict[str, str], refused: str) -> None:
    slug = str(blog.post(blog.author(), title="Followed closely")["slug"])
    assert api.post(f"/posts/{slug}/subscriptions", {"email": "sue@example.org"}).status == 202
    exported = tmp_path / "blog.jsonl"
    _export(exported)
    lines = _lines(exported)
    at = next(n for n, line in enumerate(lines) if '"kind": "subscription"' in line)
    record = json.loads(lines[at])
    record["item"].update(change)
    lines[at] = json.dumps(record) + "\n"
    exported.write_text("".join(lines), encoding="utf-8")
    _fresh_table()

    with pytest.raises(ImportError_, match=refused.replace("'", ".")):
        restore(exported, _table())

    assert everything() == []


def test_a_restored_post_is_found_by_search_again(api: Api, blog: Blog, tmp_path: Path) -> None:
    slug = str(blog.post(blog.author(), title="Quokkas at dawn", body="Rottnest island mornings.")["slug"])
    services_module.services().search.reindex(slug, _table().get(keys.post(slug)))  # what the stream does
    assert [r["slug"] for r in api.get("/search?q=quokkas").json["posts"]] == [slug]
    exported = tmp_path / "blog.jsonl"
    _export(exported)
    _fresh_table()

    report = restore(exported, _table())

    assert "1 posts indexed for search" in report.notes
    assert [r["slug"] for r in api.get("/search?q=quokkas").json["posts"]] == [slug]
    assert not any("indexed for search" in note for note in restore(exported, _table()).notes)


def test_bans_and_their_audit_entries_come_back(api: Api, blog: Blog, tmp_path: Path) -> None:
    admin = blog.admin()
    blog.user("rude")
    slug = str(blog.post(admin, title="Banned here")["slug"])
    comment = blog.comment(slug, author_email="troll@example.org")["comment"]["id"]
    for ban in ({"by": "email", "comment_id": comment, "mode": "shadow", "reason": "spam", "days": 9},
                {"by": "account", "account": "rude"}):
        assert api.post("/moderation/bans", ban, token=admin).status == 201
    before = api.get("/moderation/bans", token=admin).json["items"]
    trail = api.get("/moderation/audit", token=admin).json["items"]
    exported = tmp_path / "blog.jsonl"
    _export(exported, with_secrets=True)
    _fresh_table()

    report = restore(exported, _table(), trust_accounts=True)

    assert report.written["ban"] == 2 and "other" not in report.read
    admin = blog.login("root")
    assert api.get("/moderation/bans", token=admin).json["items"] == before
    assert api.get("/moderation/audit", token=admin).json["items"] == trail
    assert api.get(f"/moderation/audit?post={slug}", token=admin).json["items"] == [trail[-1]]
    again = api.post(f"/posts/{slug}/comments", {"body": "Again", "author_email": "troll@example.org"})
    assert again.status == 201  # as its author is told: it is still shadow-banned,
    assert [c["id"] for c in api.get(f"/posts/{slug}/comments").json["items"]] == [comment]  # and seen by nobody


def test_a_locked_thread_and_its_pinned_comment_come_back(api: Api, blog: Blog, tmp_path: Path) -> None:
    """Given a thread a moderator locked, with a pinned comment,"""
    admin = blog.admin()
    slug = str(blog.post(blog.author(), title="Pinned and locked")["slug"])
    pinned = blog.comment(slug, body="Read this first")["comment"]
    blog.comment(slug, body="A later word")
    assert api.put(f"/posts/{slug}/pin", {"comment_id": pinned["id"]}, token=admin).status == 200
    assert api.put(f"/posts/{slug}/lock", None, token=admin).status == 200
    before = api.get(f"/posts/{slug}?embed=comments").json
    exported = tmp_path / "blog.jsonl"
    _export(exported)
    _fresh_table()

    report = restore(exported, _table())  # when the blog is exported and restored,

    assert report.mismatches == [] and report.written["pin"] == 1
    after = api.get(f"/posts/{slug}?embed=comments").json
    assert after["locked"] is True and after["comments_closed"] is True  # then the thread is still locked,
    assert after["pinned_comment"]["id"] == pinned["id"] == before["pinned_comment"]["id"]  # its pin first,
    refused = api.post(f"/posts/{slug}/comments", {"body": "Sneaking in", "author_name": "Eve"})
    assert refused.status == 403, refused.body  # and closed to new comments
    assert restore(exported, _table()).written.get("pin", 0) == 0  # a second run writes nothing more


def test_a_crafted_pin_is_refused_before_anything_is_written(api: Api, blog: Blog, tmp_path: Path) -> None:
    admin = blog.admin()
    slug = str(blog.post(blog.author(), title="Pinned")["slug"])
    pinned = blog.comment(slug, body="Read this first")["comment"]
    assert api.put(f"/posts/{slug}/pin", {"comment_id": pinned["id"]}, token=admin).status == 200
    exported = tmp_path / "blog.jsonl"
    _export(exported)
    lines = _lines(exported)
    at = next(n for n, line in enumerate(lines) if '"kind": "pin"' in line)
    record = json.loads(lines[at])
    record["item"]["role"] = "admin"
    lines[at] = json.dumps(record) + "\n"
    exported.write_text("".join(lines), encoding="utf-8")
    _fresh_table()

    with pytest.raises(ImportError_, match="role: is not an attribute of a stored pin"):
        restore(exported, _table())

    assert everything() == []
