"""Which URLs a seller's crawl may request: its own origins, over http(s), on public addresses only.

A redirect (or a poisoned config) must not turn the crawler into a probe of our own network (SSRF).
Two rules live here, both pure:
- origins: a URL's (scheme, host, port) must be one of the seller's (base_url's and allowed_hosts'),
  so a redirect to the seller's host on another port or a downgrade to http is refused;
- addresses: only globally routable unicast addresses, whatever their spelling (2130706433, 0x7f.1,
  127.1, a trailing dot, an IPv6 zone id) or their IPv6 wrapping (IPv4-mapped, 6to4, NAT64, Teredo).
pinning.py applies the address rule to the address each connection really uses (resolve once).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from urllib.parse import urlsplit

from goodseed_dagster.scraping.urls import DEFAULT_PORTS

Resolver = Callable[[str], Awaitable[list[str]]]
"""hostname -> IP address strings; injectable so tests can map names without touching DNS."""

IPAddress = IPv4Address | IPv6Address
Origin = tuple[str, str, int]
"""(scheme, lowercase host, port): the unit of 'same site' for redirects and links."""

# Checked besides `is_global`, so the rule does not depend on the Python patch release's tables.
_NON_PUBLIC_V4 = tuple(
    IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # shared address space (carrier NAT; some clouds' metadata, e.g. 100.100.100.200)
        "169.254.0.0/16",  # link-local, incl. the cloud metadata address 169.254.169.254
        "192.0.0.0/24",  # IETF protocol assignments
    )
)
_NON_PUBLIC_V6 = tuple(
    IPv6Network(n)
    for n in (
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): translates into our own network
        "fec0::/10",  # deprecated site-local
    )
)
_NAT64 = IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix: the low 32 bits are an IPv4 address
_INET_ATON_CHARS = frozenset("0123456789abcdefx.")


async def system_resolver(host: str) -> list[str]:
    """Every address the OS resolver gives for `host` (async, via the loop's executor)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_forbidden_ip(ip: IPAddress) -> bool:
    """Anything but a globally routable unicast address; IPv6 forms that carry an IPv4 address are
    judged by that address, Teredo and zone-scoped addresses are always refused."""
    if isinstance(ip, IPv6Address):
        if ip.scope_id is not None or ip.teredo is not None:
            return True
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return is_forbidden_ip(inner)
        extra: tuple[IPv4Network, ...] | tuple[IPv6Network, ...] = _NON_PUBLIC_V6
    else:
        extra = _NON_PUBLIC_V4
    return bool(
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_private
        or any(ip in net for net in extra)
        or (isinstance(ip, IPv6Address) and ip.is_site_local)
    )


def _embedded_ipv4(ip: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 form reaches: IPv4-mapped (::ffff:a.b.c.d), 6to4 (2002::/16), NAT64."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def literal_ip(host: str) -> IPAddress | None:
    """`host` as an IP address, None for a name.

    Also reads the spellings the OS resolver (inet_aton) accepts, so none of them slips past as a
    "name": 2130706433, 0x7f000001, 0177.0.0.1, 0x7f.1, 127.1, and one trailing dot.
    """
    text = host.strip("[]")
    text = text[:-1] if text.endswith(".") else text
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if text and set(text.lower()) <= _INET_ATON_CHARS:
        try:
            return IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def parse_origin(entry: str, default_scheme: str = "https") -> Origin:
    """An origin from a URL or an allowed_hosts entry ("host", "host:port", "[v6]:port",
    "scheme://host[:port]"); no scheme means `default_scheme`, no port the scheme's default.
    Raises ValueError when it is not an http(s) origin."""
    text = entry.strip()
    if "://" not in text:
        if text.count(":") >= 2 and not text.startswith("["):  # a bare IPv6 address
            text = f"[{text}]"
        text = f"{default_scheme}://{text}"
    parts = urlsplit(text)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host:
        raise ValueError(f"not an http(s) origin: {entry!r}")
    return scheme, host, parts.port or DEFAULT_PORTS[scheme]  # .port raises ValueError when invalid


def seller_origins(base_url: str, allowed_hosts: Iterable[str]) -> frozenset[Origin]:
    """base_url's origin and each allowed host's (scheme from base_url unless the entry names one).

    Each http origin on port 80 also allows https on 443 for the same host: an upgrade keeps the
    crawl on the same site and only gains encryption. A downgrade or another port is refused.
    """
    scheme = urlsplit(base_url).scheme.lower()
    origins = {parse_origin(base_url, scheme), *(parse_origin(h, scheme) for h in allowed_hosts)}
    upgrades = {("https", host, 443) for s, host, port in origins if (s, port) == ("http", 80)}
    return frozenset(origins | upgrades)


def origin_refusal(url: str, origins: frozenset[Origin]) -> str | None:
    """Why `url` is outside the seller (scheme, host or port), or None if it is inside."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS:
        return f"scheme {scheme!r} not allowed"
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        return "invalid port"
    if (scheme, host, port) in origins:
        return None
    if all(host != allowed for _, allowed, _ in origins):
        return f"host {host!r} not in the seller's hosts"
    return f"origin {scheme}://{host}:{port} not among the seller's origins"
