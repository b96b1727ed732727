"""Who sent a request, and at which address the service is reached.

The peer's address is the client's unless the peer is one of `CASCADE_TRUSTED_PROXIES`;
then X-Forwarded-For is read from its right end, skipping the trusted hops, so a client
cannot name an address of its choice by sending the header itself. uvicorn's own reading
of the header is turned off (`cascade serve`; `--no-proxy-headers` when run by hand).
"""

import ipaddress

from fastapi import Request

from dialer.base.keys import is_loopback
from dialer.base.settings import Network

UNKNOWN = "unknown"


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Request) -> str:
    """The address of the client behind any trusted proxies."""
    peer = request.client.host if request.client else UNKNOWN
    networks: tuple[Network, ...] = request.app.state.trusted_proxies
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a proxy passing garbage on: the proxy is all we know
    return hops[0] if hops else peer


def public_base_url(request: Request) -> str | None:
    """Where the service is reached: CASCADE_PUBLIC_URL, else this request's address when
    it was made on this machine to a loopback address; else None (the Host header is the
    client's to write, so it may not name the address given out to others)."""
    configured: str = request.app.state.settings.public_url
    if configured:
        return configured
    peer = request.client.host if request.client else UNKNOWN
    host = request.url.hostname or ""
    if is_loopback(peer) and is_loopback(host):
        return str(request.base_url).rstrip("/")
    return None
