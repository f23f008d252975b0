"""The one factory for the DynamoDB client.

The client is made on first use, not at import: a client built at import time
would escape moto's mock in tests, and importing boto3 lazily keeps cold starts
short. Tests and the local runner choose the endpoint through the environment
(``AWS_ENDPOINT_URL_DYNAMODB``), which boto3 honours, or inject a client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_client: DynamoDBClient | None = None


def dynamodb_client() -> DynamoDBClient:
    global _client
    if _client is None:
        import boto3
        from botocore.config import Config

        # Bounded retries and timeouts: a slow call fails well inside API
        # Gateway's 29 s limit instead of hanging the request.
        config = Config(
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=2,
            read_timeout=5,
        )
        _client = boto3.client("dynamodb", config=config)
    return _client


def use_client(client: DynamoDBClient | None) -> None:
    """Swap the client (tests); ``None`` makes the next call build a fresh one."""
    global _client
    _client = client
