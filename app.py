"""The Chalice app: blueprints and CORS. No logic lives here."""

from __future__ import annotations

from chalice.app import Chalice

from chalicelib.api import cors
from chalicelib.api.auth import auth
from chalicelib.api.comments import comments
from chalicelib.api.meta import meta
from chalicelib.api.posts import posts

app = Chalice(app_name="serverless-blog")
for blueprint in (meta, auth, posts, comments):
    app.register_blueprint(blueprint)
cors.install(app)
