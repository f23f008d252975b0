"""Comment threads resolved from ids alone: what is written, under which parent, in which order.

- A comment whose post is not in the file, or whose parent is missing (or is
  itself an orphan, or a cycle leads nowhere), is an orphan: reported, skipped,
  never attached to another post.
- Approved comments are public. A deleted comment with a public reply below it
  becomes a tombstone (its place kept, its text gone); one without is dropped.
- A comment's parent here is its nearest public ancestor (approved or a
  tombstone): held comments (pending, spam) are not in the public thread, so a
  reply to one hangs from the comment above it.
- A reply deeper than MAX_REPLY_DEPTH hangs from its ancestor at the deepest
  allowed level, as in the thread it came from but flatter.
- Written parents first (by depth), then by time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from importer.model import APPROVED, DELETED

TOMBSTONE = "tombstone"


@dataclass(frozen=True)
class Placed:
    ref: str
    post_ref: str
    parent_ref: str | None
    depth: int
    status: str  # approved, pending, spam, or "tombstone"
    parent_created: str | None = None  # the parent's source date: its id derives from it


@dataclass
class Plan:
    placed: list[Placed] = field(default_factory=list)
    orphans: Counter[str] = field(default_factory=Counter)  # why -> how many
    dropped_deleted: int = 0
    flattened: int = 0


def plan_threads(rows: Iterable[tuple[str, str, str | None, str, str]], post_refs: set[str],
                 max_depth: int) -> Plan:
    nodes = {ref: (post_ref, parent_ref, status, created) for ref, post_ref, parent_ref, status, created in rows}
    plan = Plan()
    orphan: dict[str, str | None] = {}  # ref -> why it is an orphan, or None when it is not one

    def orphaned(ref: str) -> str | None:
        """Why ``ref`` is an orphan (None: it is not), walking up its thread once; remembered for the chain."""
        chain: list[str] = []
        on_chain: set[str] = set()
        current: str | None = ref
        top_cause: str | None = None  # what is wrong with the chain's last node itself
        inherited: str | None = None  # the verdict of a node already judged, above the chain
        while current is not None:
            if current in orphan:
                inherited = orphan[current]
                break
            if current in on_chain:
                for looped in chain:
                    orphan[looped] = "its thread loops back on itself"
                return orphan[ref]
            chain.append(current)
            on_chain.add(current)
            post_ref, parent_ref, _, _ = nodes[current]
            if post_ref not in post_refs:
                top_cause = "its post is not in the file"
                break
            if parent_ref is not None and (parent_ref not in nodes or nodes[parent_ref][0] != post_ref):
                top_cause = "its parent comment is not in the file"
                break
            current = parent_ref
        below = "its parent comment is an orphan" if (top_cause or inherited) else None
        for position, item in enumerate(chain):
            last = position == len(chain) - 1
            orphan[item] = top_cause if last and top_cause else below
        return orphan[ref]

    for ref in nodes:
        why = orphaned(ref)
        if why is not None:
            plan.orphans[why] += 1

    standing = {ref for ref, (_, _, status, _) in nodes.items() if status == APPROVED and orphan[ref] is None}
    tombstones: set[str] = set()
    for ref in standing:
        parent = nodes[ref][1]
        while parent is not None and parent not in tombstones:
            if nodes[parent][2] == DELETED:
                tombstones.add(parent)
            parent = nodes[parent][1]
    public = standing | tombstones

    placed: dict[str, Placed] = {}

    def place(ref: str) -> Placed:
        path: list[str] = []
        current: str | None = ref
        while current is not None and current not in placed:
            path.append(current)
            above = nodes[current][1]
            while above is not None and above not in public:
                above = nodes[above][1]
            current = above
        for item in reversed(path):
            above = nodes[item][1]
            while above is not None and above not in public:
                above = nodes[above][1]
            parent = placed[above] if above is not None else None
            depth = parent.depth + 1 if parent else 0
            if parent is not None and depth > max_depth:
                plan.flattened += 1
                while parent is not None and parent.depth >= max_depth:
                    parent = placed[parent.parent_ref] if parent.parent_ref else None
                depth = parent.depth + 1 if parent else 0
            status = TOMBSTONE if item in tombstones else nodes[item][2]
            placed[item] = Placed(item, nodes[item][0], parent.ref if parent else None, depth, status,
                                  nodes[parent.ref][3] if parent else None)
        return placed[ref]

    for ref, (_, _, status, _) in nodes.items():
        if orphan[ref] is not None:
            continue
        if status == DELETED and ref not in tombstones:
            plan.dropped_deleted += 1
            continue
        place(ref)
    plan.placed = sorted(
        (p for p in placed.values()),
        key=lambda p: (p.depth, nodes[p.ref][3], p.ref))
    return plan
