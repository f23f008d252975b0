"""Mail out through Amazon SES: one client, made on first use and injectable.

Like the DynamoDB client (store/client.py), the SES client is never built at
import: that would escape moto's mock in tests and slow every cold start, and
only the stream handler sends mail, so no request ever waits on SES. Tests
inject a client with ``use_ses_client``; the endpoint can also be chosen with
``AWS_ENDPOINT_URL_SES``, which boto3 honours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalicelib.store.client import note_mail_sent

if TYPE_CHECKING:
    from email.message import EmailMessage

    from chalicelib.settings import Settings

_client: Any = None

# Refusals that sending again will not change: the message, the sender or the
# account is refused. Anything else (throttling, a timeout, a 5xx) may pass later.
PERMANENT_ERRORS = frozenset({
    "MessageRejected",
    "MailFromDomainNotVerified",
    "MailFromDomainNotVerifiedException",
    "ConfigurationSetDoesNotExist",
    "ConfigurationSetDoesNotExistException",
    "ConfigurationSetSendingPausedException",
    "AccountSendingPausedException",
    "InvalidParameterValue",
    "ValidationError",
})


class SendFailed(Exception):
    """SES did not take the message; ``permanent`` says that trying again will not help."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


def link(settings: Settings, path: str, **params: str) -> str:
    """A link for a mail, on the API's public base (API_URL): every mailed link is made here.

    Their pages and routes are the API's: on SITE_URL (the blog, maybe Blogger or a
    static host) they would reach a host that knows nothing of them and leave their
    one-time tokens in its logs. ``path`` is the route's (e.g. "/unsubscribe").
    """
    return f"{settings.api_url}{path}" + (f"?{urlencode(params)}" if params else "")


def ses_client() -> Any:
    global _client
    if _client is None:
        import boto3
        from botocore.config import Config

        # Bounded: a slow SES fails well inside the function's timeout (at most
        # 2 x (2 + 5) s per message), and the stream delivers the batch again.
        config = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=5)
        _client = boto3.client("ses", config=config)
    return _client


def use_ses_client(client: Any) -> None:
    """Swap the client (tests); ``None`` makes the next send build a fresh one."""
    global _client
    _client = client


def send(message: EmailMessage) -> str:
    """Hand one message to SES (From and To come from its headers); returns SES's message id."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = ses_client().send_raw_email(Source=str(message["From"]), RawMessage={"Data": message.as_bytes()})
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        raise SendFailed(f"SES refused the message: {code or error}", permanent=code in PERMANENT_ERRORS) from error
    except BotoCoreError as error:  # no connection, a timeout: the message may go through later
        raise SendFailed(f"SES could not be reached: {error}", permanent=False) from error
    note_mail_sent()
    return str(response.get("MessageId", ""))
