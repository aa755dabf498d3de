"""A small JSON web service around expansion_revenue, on the Python standard library only.

``app`` is a WSGI application, so any WSGI server can run it (gunicorn, waitress, uWSGI ...);
:func:`make_server` runs it on the standard library's ``wsgiref`` server for development::

    python docs/examples/service_app.py 8000
    curl -s localhost:8000/bridge -d @request.json

Routes:

* ``POST /bridge``, ``/snapshot``, ``/metrics``, ``/cohorts``, ``/projection``: the request body
  is a JSON request (see ``docs/how-to/services.md``); the answer is the result as JSON (200) or
  an error payload (400 for a body that is not JSON, 422 for a request that cannot be computed).
* ``GET /schemas/<Name>``: the JSON Schema of a request, result or record (``Bridge``,
  ``BridgeRequest``, ``Dataset`` ...).
* ``GET /health``: ``{"status": "ok"}``.

Every answer is JSON, errors included: a wrong route is a 404 payload, a wrong method a 405,
a body over :data:`MAX_BODY_BYTES` a 413, and a bug a 500 payload without a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as _wsgiref_server

from expansion_revenue.service import (
    handle_bridge,
    handle_cohorts,
    handle_metrics,
    handle_projection,
    handle_snapshot,
    http_status,
    json_schemas,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["MAX_BODY_BYTES", "ROUTES", "app", "make_server"]

#: The largest request body accepted (a dataset of a few hundred thousand lines).
MAX_BODY_BYTES = 64 * 1024 * 1024

#: POST routes and the handler that answers each.
ROUTES: dict[str, Callable[[bytes], dict[str, Any]]] = {
    "/bridge": handle_bridge,
    "/snapshot": handle_snapshot,
    "/metrics": handle_metrics,
    "/cohorts": handle_cohorts,
    "/projection": handle_projection,
}

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            413: "Content Too Large", 422: "Unprocessable Content", 500: "Internal Server Error"}


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    """An error payload in the service's format, for errors of the web layer itself."""
    problem = {"code": code, "record": {"kind": "request", "id": None}, "field": None, "message": message}
    return {"error": {"code": code, "status": status, "message": message, "problems": [problem]}}


def _answer(environ: WSGIEnvironment) -> tuple[dict[str, Any], int, list[tuple[str, str]]]:
    """The payload, status and extra headers for one request."""
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "") or "/"
    if path == "/health":
        return {"status": "ok"}, 200, []
    if path.startswith("/schemas/"):
        schema = json_schemas().get(path.removeprefix("/schemas/"))
        if schema is None:
            return _error(404, "not_found", f"no schema named {path.removeprefix('/schemas/')!r}"), 404, []
        return schema, 200, []
    handler = ROUTES.get(path)
    if handler is None:
        return _error(404, "not_found", f"no route {path!r}; POST to {', '.join(ROUTES)}"), 404, []
    if method != "POST":
        return _error(405, "method_not_allowed", f"use POST for {path}"), 405, [("Allow", "POST")]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(400, "invalid_length", "Content-Length is not a number"), 400, []
    if length > MAX_BODY_BYTES:
        return _error(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes"), 413, []
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    payload = handler(body)
    return payload, http_status(payload), []


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The WSGI application: JSON in, JSON out, on every route.

    Args:
        environ: the WSGI environment of the request.
        start_response: the WSGI callable that starts the response.

    Returns:
        The response body (one JSON document).

    >>> import io
    >>> raw = b'{"starting_mrr": "100", "start": "2024-01-31", "months": 1}'
    >>> env = {"REQUEST_METHOD": "POST", "PATH_INFO": "/projection", "CONTENT_LENGTH": str(len(raw)),
    ...        "wsgi.input": io.BytesIO(raw)}
    >>> answers = []
    >>> body = app(env, lambda status, headers: answers.append(status))
    >>> answers, json.loads(b"".join(body))["bridges"][0]["end"]
    (['200 OK'], '2024-02-29')
    """
    try:
        payload, status, headers = _answer(environ)
    except Exception:  # a bug, not bad input: answer in JSON, without a traceback
        payload, status, headers = _error(500, "internal_error", "the server failed; see its logs"), 500, []
    data = json.dumps(payload).encode()
    start_response(f"{status} {_REASONS.get(status, 'Error')}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *headers])
    return [data]


class _QuietHandler(WSGIRequestHandler):
    """The wsgiref handler without a log line per request on stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        """Drop the access log line."""


def make_server(host: str = "127.0.0.1", port: int = 8000) -> WSGIServer:
    """A development server for :func:`app` (one request at a time); ``port=0`` picks a free port.

    Call ``serve_forever()`` on it, and ``shutdown()`` then ``server_close()`` to stop.

    >>> server = make_server(port=0)
    >>> server.server_port > 0
    True
    >>> server.server_close()
    """
    return _wsgiref_server(host, port, app, handler_class=_QuietHandler)


if __name__ == "__main__":  # pragma: no cover - manual use
    server = make_server(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8000)
    print(f"listening on http://127.0.0.1:{server.server_port}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
