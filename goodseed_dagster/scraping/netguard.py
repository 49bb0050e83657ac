"""Which URLs a seller's crawl may request: its own hosts, over http(s), on public addresses only.

A redirect (or a poisoned config) must not turn the crawler into a probe of our own network (SSRF):
literal IPs and every address a hostname resolves to are checked before any packet is sent.
Resolution here and the connection httpx makes are separate look-ups, so this narrows DNS
rebinding rather than closing it; the deploy network policy is the backstop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

Resolver = Callable[[str], Awaitable[list[str]]]
"""hostname -> IP address strings; injectable so tests can map names without touching DNS."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


async def system_resolver(host: str) -> list[str]:
    """Every address the OS resolver gives for `host` (async, via the loop's executor)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_forbidden_ip(ip: IPAddress) -> bool:
    """Private, loopback, link-local, unspecified, multicast or reserved: never a seller's shop."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
        or ip.is_reserved
    )


def literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def host_refusal(url: str, hosts: Iterable[str]) -> str | None:
    """Why `url` is outside the seller (scheme or host), or None if it is inside."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme!r} not allowed"
    host = (parts.hostname or "").lower()
    if host not in {h.lower() for h in hosts}:
        return f"host {host!r} not in the seller's hosts"
    return None


async def address_refusal(url: str, resolver: Resolver = system_resolver) -> str | None:
    """Why `url` points at a non-public address, or None; resolution failures refuse too."""
    host = urlsplit(url).hostname or ""
    ip = literal_ip(host)
    if ip is not None:
        return f"{host} is a non-public address" if is_forbidden_ip(ip) else None
    try:
        addresses = await resolver(host)
    except OSError as e:
        return f"cannot resolve {host}: {e}"
    if not addresses:
        return f"cannot resolve {host}: no addresses"
    for addr in addresses:
        resolved = literal_ip(addr)
        if resolved is None or is_forbidden_ip(resolved):
            return f"{host} resolves to non-public address {addr}"
    return None
