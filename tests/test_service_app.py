"""The how-to's web service (docs/examples/service_app.py), run on loopback for real.

The server listens on 127.0.0.1 on a port the system picks, in a thread, for this module only;
every request has a timeout and the server is shut down and closed afterwards.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from expansion_revenue import Bridge, load_example, load_example_fx, revenue_bridge
from expansion_revenue.service import ErrorPayload

APP_PATH = Path(__file__).resolve().parent.parent / "docs" / "examples" / "service_app.py"
TIMEOUT = 30


def load_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("service_app_under_test", APP_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = load_app().make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)
    assert not thread.is_alive()


#: No proxy: the requests stay on loopback whatever the environment says.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(url: str, body: bytes | None = None, method: str = "POST") -> tuple[int, str, Any]:
    """Status, content type and parsed JSON body of one request (error statuses included)."""
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with OPENER.open(request, timeout=TIMEOUT) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], json.loads(error.read())


def bridge_request(**fields: Any) -> bytes:
    request = {"dataset": json.loads(load_example().to_json()), "start": "2024-01", "end": "2024-03",
               "fx": json.loads(load_example_fx().model_dump_json()), **fields}
    return json.dumps(request).encode()


def test_post_a_bridge(base_url: str) -> None:
    status, content_type, payload = call(f"{base_url}/bridge", bridge_request(method="events"))
    assert (status, content_type) == (200, "application/json")
    expected = revenue_bridge(load_example(), "2024-01", "2024-03", method="events", fx=load_example_fx())
    assert Bridge.model_validate(payload) == expected


def test_an_error_answers_with_the_structured_payload(base_url: str) -> None:
    status, content_type, payload = call(f"{base_url}/bridge", bridge_request(start="2024-05-31",
                                                                             end="2024-03-31"))
    assert (status, content_type) == (422, "application/json")
    error = ErrorPayload.model_validate(payload).error
    assert (error.code, error.status) == ("invalid_request", 422)
    found = [(p.code, p.record.kind, p.field) for p in error.problems]
    assert found == [("invalid_period", "request", "end")]


def test_missing_rate_and_bad_json(base_url: str) -> None:
    status, _, payload = call(f"{base_url}/bridge", bridge_request(start="2020-01"))
    assert status == 422
    assert payload["error"]["problems"][0]["record"]["kind"] == "fx"
    status, _, payload = call(f"{base_url}/snapshot", b'{"at": ')
    assert (status, payload["error"]["code"]) == (400, "invalid_json")


def test_other_routes(base_url: str) -> None:
    assert call(f"{base_url}/health", method="GET")[::2] == (200, {"status": "ok"})
    status, _, schema = call(f"{base_url}/schemas/BridgeRequest", method="GET")
    assert (status, schema["title"]) == (200, "BridgeRequest")
    status, _, payload = call(f"{base_url}/nowhere", b"{}")
    assert (status, payload["error"]["code"]) == (404, "not_found")
    status, _, payload = call(f"{base_url}/bridge", method="GET")
    assert (status, payload["error"]["code"]) == (405, "method_not_allowed")
    status, _, payload = call(f"{base_url}/projection", json.dumps(
        {"starting_mrr": "1000", "start": "2024-12-31", "months": 2}).encode())
    assert status == 200
    assert [b["ending_mrr"] for b in payload["bridges"]] == ["1000.00", "1000.00"]
