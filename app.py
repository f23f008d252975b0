"""The Chalice app: blueprints and CORS. No logic lives here."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, Rate

from chalicelib.api import cors
from chalicelib.api.auth import auth
from chalicelib.api.comments import comments
from chalicelib.api.meta import meta
from chalicelib.api.posts import posts
from chalicelib.api.realworld import realworld
from chalicelib.services import services

app = Chalice(app_name="serverless-blog")
for blueprint in (meta, auth, posts, comments):
    app.register_blueprint(blueprint)
app.register_blueprint(realworld, url_prefix="/api")
cors.install(app)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def publish_due_posts(event: Any) -> None:
    """Count scheduled posts whose time has come (lists show them on time regardless)."""
    services().posts.publish_due()
