"""The service runs as a real process: it serves, answers in the error shape, and stops."""

import httpx

from tests.live import live_server


def test_a_real_server_serves_and_stops(database_url: str) -> None:
    with live_server(database_url) as server:
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
        missing = httpx.get(f"{server.url}/api/v1/nothing-here")
        assert missing.status_code == 404
        assert missing.json()["error"] == "not_found"
        process = server.process
    assert process.poll() is not None
