"""The operator's side of the softphone integration: `cascade softphone` beside baresip.

It runs on the operator's machine and talks to the service only through its public
HTTP API, so it imports nothing of `app`, `dialer` or `scheduler` (a contract in
pyproject.toml): it needs httpx, not the server's dependencies.
"""
