"""A request as a server hands it to the app (ASGI), for tests that must see what the app
sends and when, piece by piece, rather than the whole answer at the end."""

from typing import Any


def post_scope(path: str, headers: dict[str, str]) -> dict[str, Any]:
    """The scope of a POST to `path` with these headers, from a client on loopback."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
