"""The Chalice app: blueprints and CORS. No logic lives here."""

from __future__ import annotations

import gc

# The cyclic garbage collector is paused while the app and its framework import: import makes
# hundreds of thousands of long-lived objects and next to no garbage, and the collector's passes
# over them were about a tenth of a cold start (bench/coldstart.py). What import made is then
# frozen (never scanned again by the requests' collections) and the collector resumes, at the end.
_collecting = gc.isenabled()
gc.disable()

from typing import Any

from chalice.app import Chalice, DynamoDBEvent, Rate

from chalicelib.api import cors, observability
from chalicelib.api.auth import auth
from chalicelib.api.comments import comments
from chalicelib.api.counts import counts
from chalicelib.api.feeds import feeds
from chalicelib.api.meta import meta
from chalicelib.api.moderation import moderation
from chalicelib.api.passkeys import passkeys
from chalicelib.api.personal_data import personal_data
from chalicelib.api.posts import posts
from chalicelib.api.previews import previews
from chalicelib.api.realworld import realworld
from chalicelib.api.search import search
from chalicelib.api.subscriptions import subscriptions
from chalicelib.api.unsubscribe import unsubscribe
from chalicelib.api.web import web
from chalicelib.services import services
from chalicelib.settings import stream_arn

app = Chalice(app_name="serverless-blog")
observability.install(app)  # first: the outermost middleware, one log line per request
for blueprint in (meta, auth, posts, comments, counts, previews, moderation, feeds, unsubscribe, web,
                  personal_data, search, subscriptions, passkeys):
    app.register_blueprint(blueprint)
app.register_blueprint(realworld, url_prefix="/api")
cors.install(app)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def publish_due_posts(event: Any) -> None:
    """Count scheduled posts whose time has come (lists show them on time regardless); send due digests."""
    try:
        services().posts.publish_due()
    finally:  # thread subscribers' digests whose window closed (a failed one waits for the next minute)
        try:
            services().digests.send_due()
        finally:  # and moderators' held-comment digests, once their quota was spent
            services().moderation_mail.held.send_due()


# STREAM_ARN is read where `chalice deploy`/`package` runs (see settings.stream_arn).
# Small batches: each record may mean a few reads and sends, well within the function timeout.
@app.on_dynamodb_record(stream_arn=stream_arn(), name="notify_comments", batch_size=10)
def notify_comments(event: DynamoDBEvent) -> None:
    """Webhooks, then mail to admins and about comments; raising (transient SES failure) makes Lambda retry the batch.

    Webhooks go first and never raise: a redelivered batch finds them marked as sent.
    """
    records = event.to_dict()["Records"]
    services().webhooks.handle(records)
    services().search.handle(records)  # the search index follows posts (never raises)
    services().comment_search.handle(records)  # and the moderators' comment search, comments (nor does this)
    services().akismet.handle(records)  # comment-check, submit-spam/ham (never raises; nothing when off)
    services().personal_data.handle(records)  # links asked for at POST /data-requests (never raises for SES)
    services().password_resets.handle(records)  # and at POST /auth/password-reset (nor does this)
    services().email_sign_in.handle(records)  # and at POST /auth/email-link (nor does this)
    services().digests.handle(records)  # queues new comments for subscribers' digests (once per comment each)
    try:
        services().moderation_mail.handle(records)
    finally:  # each is idempotent per message: a batch delivered again sends only what did not go
        try:
            services().notifications.handle(records)
        finally:
            try:
                services().subscriptions.handle(records)  # thread subscriptions' confirmation links
            finally:  # a renamed account's items follow its new name, a page per job record (resumable)
                services().rename_jobs.handle(records)


gc.freeze()
if _collecting:
    gc.enable()
