"""What AWS charges for each unit the app's metrics count, per region, in US dollars.

Imported only by the Costs page's service (blog/costs.py), never at cold start.

Source: AWS's public price pages, on-demand, without free tier or savings plans:
- Lambda (x86_64, Chalice's default): https://aws.amazon.com/lambda/pricing/
- DynamoDB on-demand (Standard table class; the prices since the cut of
  1 November 2024): https://aws.amazon.com/dynamodb/pricing/on-demand/
- API Gateway REST APIs (first 333 million requests a month):
  https://aws.amazon.com/api-gateway/pricing/
- SES, messages sent from Lambda: https://aws.amazon.com/ses/pricing/

PRICES_AS_OF is the date of the figures as copied from those pages. They were
not re-read when this table was written (the build machine has no internet):
check them against the pages before relying on a figure, and move the date
when you do. N. Virginia and Oregon charge the same for all four; a region not
in the table is priced as us-east-1, and the Costs page says so.
"""

from __future__ import annotations

from typing import Final

PRICES_AS_OF: Final = "2025-01-01"
SOURCES: Final = (
    "https://aws.amazon.com/lambda/pricing/",
    "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    "https://aws.amazon.com/api-gateway/pricing/",
    "https://aws.amazon.com/ses/pricing/",
)
FALLBACK_REGION: Final = "us-east-1"

_MILLION = 1_000_000

# Dollars per one unit of each figure the Costs page sums.
_US: Final = {
    "api_request": 3.50 / _MILLION,           # API Gateway REST API, per request
    "lambda_request": 0.20 / _MILLION,        # per invocation: requests, scheduled runs, stream batches
    "lambda_gb_second": 0.0000166667,         # x86_64, first 6 billion GB-seconds a month
    "read_unit": 0.125 / _MILLION,            # DynamoDB on-demand read request unit
    "write_unit": 0.625 / _MILLION,           # DynamoDB on-demand write request unit
    "mail": 0.10 / 1000,                      # SES, per message sent
}

PRICES: Final[dict[str, dict[str, float]]] = {
    "us-east-1": _US,
    "us-west-2": _US,
}


def for_region(region: str) -> tuple[str, dict[str, float]]:
    """The region whose prices apply (``region`` itself, or the fallback) and its prices."""
    priced = region if region in PRICES else FALLBACK_REGION
    return priced, PRICES[priced]
