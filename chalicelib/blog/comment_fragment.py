"""A post's comments as a static HTML fragment, for readers without JavaScript and for search engines.

``GET /posts/{slug}/comments.html`` answers a ``<section>`` that a static site
generator includes at build time, or a page puts inside ``<noscript>`` next to the
widget. It is the widget's thread without the widget: every text escaped here, each
comment's body the sanitised HTML stored when it was written (the HTML the widget
shows), links to commenters' sites marked ``nofollow ugc``. It carries no style
and no script; class names are stable so a site can style it.

A page holds up to ``limit`` comments, oldest first; the first page starts with the
thread's pinned comment (marked "Pinned"), as the widget draws it. Replies nest under their parent
when both are on the page; a reply whose parent is on an earlier page starts a new
top-level item that links to it (``#comment-<id>``). The count line, read from the
post on the first page, is in English: the fragment has no language of its own
(the widget's catalogues are the widget's).
"""

from __future__ import annotations

from html import escape
from typing import Any

from chalicelib.blog.status import Status


def count_line(count: int) -> str:
    if count == 0:
        return "No comments"
    return "1 comment" if count == 1 else f"{count} comments"


def render(slug: str, comments: list[dict[str, Any]], count: int | None, more_href: str | None,
           pinned: dict[str, Any] | None = None) -> str:
    """The fragment for a page of comment views (views.comment_view), oldest first; ``pinned`` (the thread's
    pinned comment, on the first page) first, once, with its replies on the page under it."""
    if pinned is not None:
        comments = [pinned, *(c for c in comments if c["id"] != pinned["id"])]
    on_page = {c["id"] for c in comments}
    children: dict[str, list[dict[str, Any]]] = {}
    roots: list[dict[str, Any]] = []
    for comment in comments:
        parent = comment.get("parent_id")
        if parent is not None and parent in on_page:
            children.setdefault(parent, []).append(comment)
        else:
            roots.append(comment)
    parts = [f'<section class="blog-comments" id="comments" data-post="{escape(slug)}">']
    if count is not None:
        parts.append(f'<h2 class="blog-comments-count">{count_line(count)}</h2>')
    parts.append(_list(roots, children, on_page, pinned["id"] if pinned else None))
    if more_href:
        parts.append(f'<p class="blog-comments-more"><a href="{escape(more_href)}">More comments</a></p>')
    parts.append("</section>")
    return "\n".join(parts) + "\n"


def _list(comments: list[dict[str, Any]], children: dict[str, list[dict[str, Any]]], on_page: set[str],
          pinned_id: str | None = None) -> str:
    # Recursive: a page holds at most MAX_PAGE_SIZE comments, so no thread on it is deeper than that.
    items = "".join(_item(c, on_page, c["id"] == pinned_id)
                    + (_list(children[c["id"]], children, on_page) if c["id"] in children else "")
                    + "</li>" for c in comments)
    return f'<ol class="blog-comments-list">{items}</ol>'


def _item(comment: dict[str, Any], on_page: set[str], pinned: bool = False) -> str:
    anchor = f'comment-{escape(comment["id"])}'
    created = escape(comment["created_at"])
    when = f'<time datetime="{created}">{created[:10]}</time>'
    parent = comment.get("parent_id")
    reply_to = (f' <a class="blog-comment-parent" href="#comment-{escape(parent)}">in reply</a>'
                if parent and parent not in on_page else "")
    if comment["status"] == Status.DELETED:
        return (f'<li class="blog-comment blog-comment-deleted" id="{anchor}"><article>'
                f'<p class="blog-comment-meta">{when}{reply_to}</p>'
                '<p class="blog-comment-body">This comment was deleted.</p></article>')
    author = comment["author"]
    name = escape(author["name"])
    if author.get("website"):
        name = f'<a href="{escape(author["website"])}" rel="nofollow ugc noopener">{name}</a>'
    edited = ' <span class="blog-comment-edited">(edited)</span>' if comment.get("edited_at") else ""
    kind = "blog-comment blog-comment-pinned" if pinned else "blog-comment"
    author_line = f'<span class="blog-comment-author">{name}</span> {when}{edited}{reply_to}'
    if pinned:
        author_line = '<span class="blog-comment-pin">Pinned</span> ' + author_line
    return (f'<li class="{kind}" id="{anchor}"><article>'
            f'<p class="blog-comment-meta">{author_line}</p>'
            f'<div class="blog-comment-body">{comment["html"]}</div></article>')
