"""`chalice local`'s HTTP handler, made to answer errors in the API's own format.

Chalice's handler copies API Gateway's defaults, which a frontend cannot use:

- a path no route matches answers 403 ``{"message": "Missing Authentication Token"}``
  without CORS headers, so a page on another origin cannot even read it. Here it is
  a 404 ``application/problem+json`` with the same CORS headers the routes send (and a
  browser's preflight there is answered, so the page gets to read that 404);
- a method http.server has no ``do_`` method for (TRACE, CONNECT, anything made up)
  answers 501 text/html from http.server itself. Here every method goes to the app,
  whose routes refuse a method they do not take with 405 problem+json;
- HEAD answers ``Content-Length: 0`` (the app empties the body), while RFC 9110 §8.6
  says a HEAD's Content-Length, when sent, is the length GET would have sent. The app
  does not know that length once the body is gone, so none is sent; and no body is ever
  written after a HEAD's headers, whatever the app answered.
"""

from __future__ import annotations

import uuid
from typing import Any

from chalice.app import Chalice, Response
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalDevServer, RouteMatcher

from chalicelib.api import cors
from chalicelib.api.problems import problem

_SHOWN_PATH = 200  # characters of an unmatched path echoed in the problem's detail
_ANY_METHOD = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


class ProblemRequestHandler(ChaliceRequestHandler):
    routes: RouteMatcher  # set by server(): one matcher for the server, not one per request

    def parse_request(self) -> bool:
        parsed = bool(super().parse_request())
        if parsed:
            # Every method is this handler's (Chalice binds do_GET & co. to its own _generic_handle,
            # and http.server answers a method without a do_<METHOD> with 501 text/html): the app
            # answers a method no route takes with 405 problem+json.
            setattr(self, f"do_{self.command}", self._generic_handle)
        return parsed

    def _generic_handle(self) -> None:
        try:
            self.routes.match_route(self.path)
        except ValueError:
            self._parse_payload()  # read the request's body, so the connection can serve the next one
            if self.command == "OPTIONS" and self.headers.get("Access-Control-Request-Method"):
                self._send_preflight()
            else:
                self._send_no_route()
            return
        super()._generic_handle()

    def _send_preflight(self) -> None:
        """A browser asks before a request with a token: let it ask, so the page can read the 404 that follows."""
        response = cors.allow(self.headers.get("Origin"), Response(body="", status_code=204, headers={
            "Access-Control-Allow-Methods": ", ".join(_ANY_METHOD),
            "Access-Control-Allow-Headers": cors.ALLOWED_HEADERS,
            "Access-Control-Max-Age": "600",
        }))
        answer = response.to_dict()
        self._send_http_response(204, {**answer["headers"], **answer["multiValueHeaders"]}, None)

    def _send_no_route(self) -> None:
        path = self.path.split("?", 1)[0]
        shown = path if len(path) <= _SHOWN_PATH else path[:_SHOWN_PATH] + "…"
        response = cors.allow(self.headers.get("Origin"), problem(
            404, f"no route matches {shown}; /openapi.json lists this API's routes",
            headers={"Cache-Control": "no-store", "x-amzn-RequestId": str(uuid.uuid4())}))
        answer = response.to_dict()
        self._send_http_response(answer["statusCode"], {**answer["headers"], **answer["multiValueHeaders"]},
                                 answer["body"])

    def _send_http_response_with_body(self, code: int, headers: dict[str, Any], body: str | bytes) -> None:
        if self.command != "HEAD":
            super()._send_http_response_with_body(code, headers, body)
            return
        self.send_response(code)
        headers.setdefault("Content-Type", "application/json")
        self._send_headers({name: value for name, value in headers.items() if name.lower() != "content-length"})

    def _send_http_response_no_body(self, code: int, headers: dict[str, Any]) -> None:
        if self.command != "HEAD":
            super()._send_http_response_no_body(code, headers)
            return
        self.send_response(code)
        self._send_headers({name: value for name, value in headers.items() if name.lower() != "content-length"})


def server(app: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    """Chalice's local server with ProblemRequestHandler in place of its own handler."""
    handler = type("BoundProblemRequestHandler", (ProblemRequestHandler,), {"routes": RouteMatcher(list(app.routes))})
    return LocalDevServer(app, config, host, port, handler_cls=handler)

