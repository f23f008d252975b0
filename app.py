"""The Chalice app: blueprints and CORS. No logic lives here."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, DynamoDBEvent, Rate

from chalicelib.api import cors, observability
from chalicelib.api.auth import auth
from chalicelib.api.comments import comments
from chalicelib.api.feeds import feeds
from chalicelib.api.meta import meta
from chalicelib.api.moderation import moderation
from chalicelib.api.posts import posts
from chalicelib.api.previews import previews
from chalicelib.api.realworld import realworld
from chalicelib.api.unsubscribe import unsubscribe
from chalicelib.api.web import web
from chalicelib.services import services
from chalicelib.settings import stream_arn

app = Chalice(app_name="serverless-blog")
observability.install(app)  # first: the outermost middleware, one log line per request
for blueprint in (meta, auth, posts, comments, previews, moderation, feeds, unsubscribe, web):
    app.register_blueprint(blueprint)
app.register_blueprint(realworld, url_prefix="/api")
cors.install(app)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def publish_due_posts(event: Any) -> None:
    """Count scheduled posts whose time has come (lists show them on time regardless)."""
    services().posts.publish_due()


# STREAM_ARN is read where `chalice deploy`/`package` runs (see settings.stream_arn).
# Small batches: each record may mean a few reads and sends, well within the function timeout.
@app.on_dynamodb_record(stream_arn=stream_arn(), name="notify_comments", batch_size=10)
def notify_comments(event: DynamoDBEvent) -> None:
    """E-mail about comments that became visible; raising (transient SES failure) makes Lambda retry the batch."""
    services().notifications.handle(event.to_dict()["Records"])
