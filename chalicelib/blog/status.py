"""Every status a post or a comment can have: one vocabulary, stored as these strings."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    # A post is a draft, published, or scheduled to publish itself later.
    DRAFT = "draft"
    PUBLISHED = "published"
    SCHEDULED = "scheduled"
    # A post being deleted: retired from every list, its slug still reserved until it is gone.
    DELETING = "deleting"
    # A comment is public (approved), held for a moderator (pending, spam), or a tombstone (deleted).
    APPROVED = "approved"
    PENDING = "pending"
    SPAM = "spam"
    DELETED = "deleted"


# The statuses an author may give a post.
POST_STATUSES = (Status.DRAFT, Status.PUBLISHED, Status.SCHEDULED)
# Comments outside the public range, in the moderation queue.
HELD_STATUSES = (Status.PENDING, Status.SPAM)
