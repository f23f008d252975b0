"""Follows and favorites, and how posts and people look to a particular reader.

A favorite is an item in the post's partition (so it goes when the post goes)
that also sits in GSI1 under its user, newest first: "what did Ann favorite"
is one Query. The post's favorites_count (on its summary item and label copies:
blog/counters.py) and the user's favorites total move in the same transaction
as the favorite itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from chalicelib.blog import clock, counters, records, renames, slug_aliases
from chalicelib.blog.accounts import valid_username
from chalicelib.blog.counters import PostChanged
from chalicelib.blog.slugs import public_slug
from chalicelib.blog.status import Status
from chalicelib.blog.tokens import Principal, current_principal
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.store import keys
from chalicelib.store.keys import END
from chalicelib.store.table import Item, Table, Write, check, delete, put, update

# Bounds the feed's fan-out: one Query per followed author.
MAX_FOLLOWED_IN_FEED = 100
MAX_KEYS_PER_BATCH_GET = 100
_ATTEMPTS = 4  # DynamoDB's limit for one BatchGetItem
_POST_IS_PUBLIC = "attribute_exists(PK) AND (#status = :published OR (#status = :scheduled AND #at <= :now))"


class _Unchanged(Exception):
    """The favorite already is as asked: nothing to do."""


# A plain class, not a dataclass: creating a dataclass costs about a millisecond at every cold start.
class Relations:
    """What one BatchGetItem told us about the people and posts on a page."""

    __slots__ = ("favorited", "following", "users")

    def __init__(self, users: dict[str, Item] | None = None, following: set[str] | None = None,
                 favorited: set[str] | None = None) -> None:
        self.users: dict[str, Item] = {} if users is None else users
        self.following: set[str] = set() if following is None else following
        self.favorited: set[str] = set() if favorited is None else favorited

    def user(self, username: str) -> Item | None:
        return self.users.get(username.casefold())

    def follows(self, username: str) -> bool:
        return username.casefold() in self.following


class Social:
    def __init__(self, table: Table, admins: frozenset[str] = frozenset()) -> None:
        self.table = table
        self.admins = admins  # BLOG_ADMINS: a token checked here gets its account's role as requests.caller's would

    def _user(self, username: str) -> Item:
        item = renames.account_named(self.table, username) if valid_username(username) else None
        if item is None:
            raise NotFound(f"there is no user {username[:40]!r}")
        return item

    # -- follows ---------------------------------------------------------------

    def profile(self, viewer: Principal | None, username: str) -> Relations:
        """A person as the viewer sees them (whether the viewer follows them): one BatchGetItem."""
        relations = self.relations(viewer, [username], [])
        if relations.user(username) is None:
            raise NotFound(f"there is no user {username[:40]!r}")
        return relations

    def follow(self, viewer: Principal, username: str) -> Relations:
        """Follow someone (again is fine): a read of their account, then one transaction."""
        target = self._user(username)
        if target["username"].casefold() == viewer.username.casefold():
            raise Invalid.field("username", "is you: you cannot follow yourself")
        gone = NotFound(f"there is no user {username[:40]!r}")
        self.table.transact([
            check(keys.user(target["username"]), "attribute_exists(PK)", refusal=gone),
            put(records.follow(viewer.username, target["username"], clock.now_iso())),
        ])
        names = {str(target["username"]).casefold(), username.casefold()}  # and the old name it was asked by
        return Relations(users=dict.fromkeys(names, target), following=names)

    def unfollow(self, viewer: Principal, username: str) -> Relations:
        target = self._user(username)
        # A follow made before the account's rename names its old name.
        gone = [delete(keys.follow(viewer.username, name)) for name in [target["username"],
                                                                         *target.get("former_names", [])]]
        if len(gone) == 1:
            self.table.write(gone[0])
        else:
            self.table.transact(gone)
        return Relations(users=dict.fromkeys({str(target["username"]).casefold(), username.casefold()}, target))

    def followed_authors(self, viewer: Principal) -> list[str]:
        page = self.table.query(keys.user_partition(viewer.username), sort_from=keys.FOLLOWS_PREFIX,
                                sort_to=keys.FOLLOWS_PREFIX + END, limit=MAX_FOLLOWED_IN_FEED)
        names = [str(item["username"]) for item in page.items]
        # A follow made before its followee's rename names the old name: its reservation says the new one.
        renamed = {str(i["username"]).casefold(): str(i["renamed_to"])
                   for i in self.table.batch_get([keys.user(n) for n in names]) if renames.is_reservation(i)}
        return list(dict.fromkeys(renamed.get(n.casefold(), n) for n in names))

    # -- favorites -------------------------------------------------------------

    def favorite(self, viewer: Principal, slug: str) -> None:
        """Favorite a public post; favoriting it again changes nothing.

        Two round trips: the post's summary item (its version and labels, for
        the counts), then one transaction; read again if the post was saved between.
        """
        gone = NotFound("there is no post at that address")
        for _ in range(_ATTEMPTS):
            now = clock.now_iso()
            summary = self._summary(slug, gone)
            item = records.favorite(str(summary["slug"]), viewer.username, now)  # filed under its first slug
            with contextlib.suppress(_Unchanged):  # favorited already
                try:
                    self.table.transact([
                        put(item, "attribute_not_exists(PK)", refusal=_Unchanged()),
                        *counters.tally(summary, "favorites_count", +1, _POST_IS_PUBLIC,
                                        {"#status": "status", "#at": "published_at"}, refusal=gone,
                                        published=Status.PUBLISHED, scheduled=Status.SCHEDULED, now=now),
                        _count(viewer.username, +1),
                    ])
                except PostChanged:
                    continue
            return
        raise Conflict("the post kept changing; try again")

    def unfavorite(self, viewer: Principal, slug: str) -> None:
        """Take a favorite back; taking back one that is not there changes nothing."""
        gone = NotFound("there is no post at that address")
        for _ in range(_ATTEMPTS):
            summary = self._summary(slug, gone)
            with contextlib.suppress(_Unchanged):  # not a favorite: nothing to take back
                try:
                    self.table.transact([
                        delete(keys.favorite(str(summary["slug"]), viewer.username), "attribute_exists(PK)",
                               refusal=_Unchanged()),
                        *counters.tally(summary, "favorites_count", -1, refusal=gone),
                        _count(viewer.username, -1),
                    ])
                except PostChanged:
                    continue
            return
        raise Conflict("the post kept changing; try again")

    def _summary(self, slug: str, gone: Exception) -> Item:
        found = self.table.get(keys.post_summary(slug))
        if found is None or public_slug(found) != slug:  # an old slug (Moved), or a renamed post's current one
            home = slug_aliases.resolve(self.table, slug, found)
            found = self.table.get(keys.post_summary(home)) if home != slug else found
        if found is None:
            raise gone
        return found

    def favorites_total(self, username: str) -> int:
        item = self.table.get(keys.favorites_count(username)) if valid_username(username) else None
        return int(item["count"]) if item else 0

    # -- relations -------------------------------------------------------------

    def relations(self, viewer: Principal | None, usernames: Iterable[str], slugs: Iterable[str]) -> Relations:
        """Profiles of ``usernames`` and, for a signed-in viewer, whom they follow and what they favorited.

        A viewer whose token is not checked yet (api/requests.caller's ``account_read_by_service``) is
        checked against their account in this same read, before anything personal is answered: a revoked
        token, or one of a deleted account whose name was taken again, is refused (401) with no round trip more.
        """
        slugs = list(slugs)  # read twice when a token from before a rename is read again
        wanted = {u.casefold(): u for u in usernames if u and valid_username(u)}
        keys_wanted = [keys.user(u) for u in wanted.values()]
        account = keys.user(viewer.username) if viewer is not None and not viewer.current else None
        if account is not None and viewer is not None and viewer.username.casefold() not in wanted:
            keys_wanted.append(account)
        if viewer is not None:
            keys_wanted += [keys.follow(viewer.username, u) for u in wanted.values()]
            keys_wanted += [keys.favorite(s, viewer.username) for s in dict.fromkeys(slugs)]
        relations = Relations()
        # A signed-in reader's page of 100 articles needs up to 300 keys; one
        # BatchGetItem takes at most 100, so larger sets take several calls.
        found: list[Item] = []
        for start in range(0, len(keys_wanted), MAX_KEYS_PER_BATCH_GET):
            found += self.table.batch_get(keys_wanted[start:start + MAX_KEYS_PER_BATCH_GET])
        for item in found:
            sort_key = str(item["SK"])
            if sort_key == keys.USER_SK:
                # An old name answers with the account it became (blog/renames.py).
                user = renames.resolve(self.table, item) if renames.is_reservation(item) else item
                if user is not None:
                    relations.users[str(item["username"]).casefold()] = user
            elif sort_key.startswith(keys.FOLLOWS_PREFIX):
                relations.following.add(sort_key.removeprefix(keys.FOLLOWS_PREFIX))
            elif sort_key.startswith(keys.FAVORITE_PREFIX):
                relations.favorited.add(str(item["slug"]))
        if account is not None and viewer is not None:
            own = next((i for i in found if i["PK"] == account["PK"] and i["SK"] == account["SK"]), None)
            if renames.is_reservation(own):  # a token from before a rename: read again under the current name
                checked = current_principal(viewer, renames.resolve(self.table, own), self.admins)
                return self.relations(checked, wanted.values(), slugs)
            current_principal(viewer, own, self.admins)
        if viewer is not None:
            self._follows_under_other_names(viewer, relations)
        return relations

    def _follows_under_other_names(self, viewer: Principal, relations: Relations) -> None:
        """A renamed account is followed under any of its names: the follow may predate the rename, or the
        page may name an old one. One more BatchGetItem, only when a renamed account is on the page."""
        other: dict[str, str] = {}  # another name of an account on the page -> the name the page asked for
        for asked, account in relations.users.items():
            if asked in relations.following:
                continue
            for name in {str(account["username"]).casefold(), *(f.casefold() for f in account.get("former_names", []))}:
                if name != asked:
                    other[name] = asked
        wanted = [keys.follow(viewer.username, name) for name in other]
        for start in range(0, len(wanted), MAX_KEYS_PER_BATCH_GET):
            for item in self.table.batch_get(wanted[start:start + MAX_KEYS_PER_BATCH_GET]):
                relations.following.add(other[str(item["SK"]).removeprefix(keys.FOLLOWS_PREFIX)])


def _count(username: str, delta: int) -> Write:
    return update(keys.favorites_count(username), "ADD #c :d", names={"#c": "count"}, d=delta)


def forget_favorite(item: Item) -> list[Write]:
    """The writes that remove a favorite whose post is being deleted, total included."""
    return [delete({"PK": item["PK"], "SK": item["SK"]}), _count(str(item["username"]), -1)]

