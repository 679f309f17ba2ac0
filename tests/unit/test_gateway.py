"""The local gateway (scripts/gateway.py) passes requests on as API Gateway does in production:
the client's token in X-Forwarded-Authorization, the gateway's identity in Authorization, and
each backend's deadline for the whole answer."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from scripts import gateway
from scripts.openapi_endpoints import BACKEND_DEADLINE, DEFAULT_DEADLINE
from scripts.stack import FUNCTION_PORTS


class _SlowBody(httpx.AsyncByteStream):
    """A first chunk at once, the rest after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    async def __aiter__(self):
        yield b"first,"
        await asyncio.sleep(self.delay)
        yield b"second"


def _through_gateway(monkeypatch, backend, method: str, path: str, **kwargs) -> httpx.Response:
    """One request through the gateway app to `backend` (an httpx MockTransport handler)."""

    async def run() -> httpx.Response:
        monkeypatch.setattr(
            gateway, "client", httpx.AsyncClient(transport=httpx.MockTransport(backend))
        )
        transport = httpx.ASGITransport(app=gateway.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
            return await c.request(method, path, **kwargs)

    return asyncio.run(run())


def _recording_backend(seen: list[httpx.Request]):
    def backend(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, stream=httpx.ByteStream(b"{}"))

    return backend


def _forwarded(monkeypatch, headers: dict) -> tuple[httpx.Response, httpx.Headers]:
    """A GET through the gateway: its answer, and the headers the function received."""
    seen: list[httpx.Request] = []
    r = _through_gateway(
        monkeypatch, _recording_backend(seen), "GET", "/v2/profile", headers=headers
    )
    return r, seen[0].headers


def test_the_clients_token_travels_in_x_forwarded_authorization(monkeypatch):
    r, headers = _forwarded(
        monkeypatch, {"Authorization": "Bearer the-users-token", "X-Trace": "t1"}
    )
    assert r.status_code == 200
    assert headers.get_list("x-forwarded-authorization") == ["Bearer the-users-token"]
    # Authorization holds the gateway's identity, which is no Firebase ID token.
    assert headers.get_list("authorization") == [gateway.GATEWAY_IDENTITY.decode()]
    assert headers["x-trace"] == "t1"


def test_a_client_cannot_choose_the_forwarded_token(monkeypatch):
    _, headers = _forwarded(
        monkeypatch, {"Authorization": "Bearer mine", "X-Forwarded-Authorization": "Bearer theirs"}
    )
    assert headers.get_list("x-forwarded-authorization") == ["Bearer mine"]


def test_without_a_token_the_function_sees_none(monkeypatch):
    """Production's gateway refuses such a request itself; here the function's 401 stands in."""
    _, headers = _forwarded(monkeypatch, {"X-Forwarded-Authorization": "Bearer smuggled"})
    assert "authorization" not in headers
    assert "x-forwarded-authorization" not in headers


def test_each_backend_has_its_production_deadline():
    for name, port in FUNCTION_PORTS.items():
        expected = BACKEND_DEADLINE.get(name, DEFAULT_DEADLINE)
        assert gateway.DEADLINES.get(port, gateway.DEFAULT_DEADLINE) == expected, name
    assert gateway.DEADLINES[FUNCTION_PORTS["chat"]] == 60
    assert gateway.DEADLINES.get(FUNCTION_PORTS["feedback"], gateway.DEFAULT_DEADLINE) == 15


def test_a_backend_that_does_not_answer_within_its_deadline_is_a_504(monkeypatch):
    monkeypatch.setattr(gateway, "DEFAULT_DEADLINE", 0.3)

    async def backend(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    # the backend would answer 200 after 5 s: a 504 is the deadline's
    r = _through_gateway(monkeypatch, backend, "GET", "/v2/devices")
    assert r.status_code == 504
    assert r.json()["error"]["code"] == "gateway_timeout"


def test_the_deadline_covers_the_whole_answer(monkeypatch):
    """A streamed answer still going at the deadline is cut off, not left to run on."""
    monkeypatch.setattr(gateway, "DEADLINES", {FUNCTION_PORTS["chat"]: 0.5})

    def backend(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=_SlowBody(delay=5))

    with pytest.raises(TimeoutError):
        _through_gateway(monkeypatch, backend, "POST", "/v2/chat/turns", content=b"{}")


def test_an_answer_within_the_deadline_streams_whole(monkeypatch):
    monkeypatch.setattr(gateway, "DEADLINES", {FUNCTION_PORTS["chat"]: 2})

    def backend(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=_SlowBody(delay=0.2))

    r = _through_gateway(monkeypatch, backend, "POST", "/v2/chat/turns", content=b"{}")
    assert (r.status_code, r.content) == (200, b"first,second")
