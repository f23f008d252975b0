"""What the RealWorld (Conduit) routes ask of the blog, each answer with the relations it shows.

A Conduit answer shows posts and people as one reader sees them: whether the
reader follows an author or favorited a post. Each method returns the content
with those Relations, read in one BatchGetItem, so the routes only shape them.
"""

from __future__ import annotations

from typing import Any

from chalicelib.blog.articles import Articles
from chalicelib.blog.comments import Comments
from chalicelib.blog.posts import Posts
from chalicelib.blog.social import Relations, Social
from chalicelib.blog.tokens import Principal
from chalicelib.errors import followed

Shown = tuple[dict[str, Any], Relations]
# Comments answer in one page in Conduit; this bounds how many one request reads.
MAX_COMMENT_PAGES = 10


class RealWorld:
    def __init__(self, posts: Posts, comments: Comments, articles: Articles, social: Social) -> None:
        self.posts = posts
        self.comments = comments
        self.articles = articles
        self.social = social

    def article(self, viewer: Principal | None, slug: str) -> Shown:
        post, home = followed(slug, lambda s: self.posts.shown(viewer, s))
        return post, self.articles_page(viewer, [post], [home])

    def articles_page(self, viewer: Principal | None, posts: list[dict[str, Any]],
                      homes: list[str] | None = None) -> Relations:
        """Relations of shown posts; ``homes``: their first slugs (where favorites are filed), when renamed."""
        homes = homes or [p["slug"] for p in posts]
        relations = self.social.relations(viewer, {p["author"] for p in posts}, homes)
        relations.favorited |= {p["slug"] for p, home in zip(posts, homes, strict=True)
                                if home in relations.favorited}
        return relations

    def create(self, viewer: Principal, fields: dict[str, Any]) -> Shown:
        return self._shown(viewer, self.posts.create(viewer, fields))

    def update(self, viewer: Principal, slug: str, changes: dict[str, Any]) -> Shown:
        # The spec: an article's slug follows its title (the old one stays an alias).
        post = followed(slug, lambda s: self.posts.update(viewer, s, changes, None, slug_from_title=True))[0]
        return self.article(viewer, post["slug"])

    def _shown(self, viewer: Principal | None, post: dict[str, Any]) -> Shown:
        """One post with its relations: whether the viewer follows its author and favorited it."""
        return post, self.articles_page(viewer, [post])

    def favorite(self, viewer: Principal, slug: str, favorited: bool) -> Shown:
        followed(slug, lambda s: (self.social.favorite if favorited else self.social.unfavorite)(viewer, s))
        return self.article(viewer, slug)

    def comments_of(self, viewer: Principal | None, slug: str) -> tuple[list[dict[str, Any]], Relations]:
        views = followed(slug, lambda s: self.comments.all_public(s, MAX_COMMENT_PAGES))
        return views, self.social.relations(viewer, {v["author"]["username"] for v in views}, [])

    def comment(self, viewer: Principal, slug: str, fields: dict[str, Any], address: str) -> Shown:
        created = followed(slug, lambda s: self.comments.create(viewer, s, fields, address))["comment"]
        return created, self.social.relations(viewer, [viewer.username], [])

