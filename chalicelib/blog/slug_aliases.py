"""Slugs that change, and old links that keep working (docs/decisions.md, "Slugs that change").

A post's partition is named by its first slug for good: a rename writes the
new slug on the post (``current_slug``) and a pointer item ``SLUG#<new>`` ->
the post's first slug, in the save's own transaction, whatever the number of
comments. The pointer reserves the slug: its Put is conditioned on no other
post's pointer, and a ConditionCheck on no post's partition under that name.
A new post's save checks that no pointer holds its slug.

Reading a slug: the caller reads the partition it names, as before, and hands
what it found to ``resolve``. An unrenamed post costs nothing more. A post
found whose current slug is another answers ``Moved`` (the native API's 301);
a miss reads the pointer (one GetItem) and the post's summary item, so the
current slug of a renamed post is served from its first slug's partition and
an old one moves to the current, in one hop whatever the chain of renames.
"""

from __future__ import annotations

import contextlib

from chalicelib.blog import records, views
from chalicelib.blog.clock import now_iso
from chalicelib.blog.post_upkeep import SlugTaken
from chalicelib.blog.slugs import MAX_ALIASES, public_slug
from chalicelib.errors import Invalid, Moved
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed, Item, Table, Write, check, delete, put


def resolve(table: Table, slug: str, found: Item | None) -> str:
    """The first slug (partition) to read for ``slug``, given the post or summary item found under its own name.

    Returns ``slug`` itself when it names its post's partition and is its current slug,
    or when nothing answers to it (the caller's own "not found" follows). Raises Moved
    when ``slug`` is an old slug of a post the public may read.
    """
    if found is not None:
        current = public_slug(found)
        if current != slug and views.is_public(found, now_iso()):
            raise Moved(current)
        return slug
    pointer = table.get(keys.slug_alias(slug))
    if pointer is None:
        return slug
    home = str(pointer["home"])
    summary = table.get(keys.post_summary(home))
    if summary is None:
        return slug
    current = public_slug(summary)
    if current == slug:
        return home
    if views.is_public(summary, now_iso()):
        raise Moved(current)
    return slug


def renamed(post: Item, target: str) -> None:
    """Give ``post`` (being edited) the public slug ``target``, keeping every slug it had as an alias."""
    home = str(post["slug"])
    if target == home:
        post.pop("current_slug", None)
        return
    aliases = list(dict.fromkeys([*post.get("aliases", []), target]))
    if len(aliases) > MAX_ALIASES:
        raise Invalid.field("slug", f"this post has had {MAX_ALIASES} slugs already: choose one it had before")
    post["current_slug"], post["aliases"] = target, aliases


def slug_writes(old: Item, new: Item) -> list[Write]:
    """What reserves an edited post's new slug: its pointer (a rename), or the check that none holds it (a move)."""
    if new["slug"] != old["slug"]:
        return [unreserved(str(new["slug"]))]
    return rename_writes(old, new)


def rename_writes(old: Item, new: Item) -> list[Write]:
    """The pointer that reserves ``new``'s current slug (when it changed), for the save's transaction."""
    target, home = public_slug(new), str(new["slug"])
    if target == public_slug(old) or target == home:
        return []
    return pointer_writes(target, home, SlugTaken())


def pointer_writes(alias: str, home: str, refusal: Exception) -> list[Write]:
    """The pointer that gives post ``home`` the slug ``alias``: refused (``refusal``) when another post holds
    that slug, as its first slug or through a pointer of its own; a pointer of this post's is taken again."""
    return [put(records.slug_alias(alias, home), "attribute_not_exists(PK) OR home = :home",
                refusal=refusal, home=home),
            check(keys.post(alias), "attribute_not_exists(PK)", refusal=refusal)]


def restored_writes(post: Item, refusal: Exception) -> list[Write]:
    """The pointers of every alias a post brings (a restore, which rebuilds them from the post's ``aliases``)."""
    return [write for alias in post.get("aliases", []) for write in pointer_writes(str(alias), str(post["slug"]),
                                                                                   refusal)]


def held_elsewhere(table: Table, post: Item) -> list[str]:
    """The aliases of ``post`` that another post holds here (its first slug, or a pointer of its own)."""
    home = str(post["slug"])
    taken = []
    for alias in post.get("aliases", []):
        pointer = table.get(keys.slug_alias(str(alias)))
        if (pointer is not None and pointer["home"] != home) or table.get(keys.post(str(alias))) is not None:
            taken.append(str(alias))
    return taken


def unreserved(slug: str) -> Write:
    """A new post (or a draft moving to another slug) may not take a slug another post was renamed to."""
    return check(keys.slug_alias(slug), "attribute_not_exists(PK)", refusal=SlugTaken())


def forget(table: Table, post: Item) -> None:
    """Delete a deleted post's pointers, so its old slugs are free again (only those still pointing at it)."""
    for alias in post.get("aliases", []):
        with contextlib.suppress(ConditionFailed):  # already gone (an earlier, interrupted delete)
            table.write(delete(keys.slug_alias(str(alias)), "home = :home", home=post["slug"]))
