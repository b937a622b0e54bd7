"""Which webhook URLs may be called: never loopback (unless allowed, for dev and tests), private,
link-local, multicast, reserved or cloud-metadata addresses. Checked when an endpoint is saved and again
before each delivery (the name may resolve elsewhere by then: DNS rebinding)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Final
from urllib.parse import urlsplit

METADATA_ADDRESSES: Final = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                             ipaddress.ip_address("100.100.100.200")}  # AWS/GCP/Azure, AWS IPv6, Alibaba


def address_problem(address: str, *, allow_loopback: bool) -> str | None:
    """Why the endpoint may not be called at this address, or None."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if ip.is_loopback:
        return None if allow_loopback else f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_private or ip.is_unspecified or ip.is_multicast or ip.is_reserved or not ip.is_global:
        return f"{ip} is not a public address"
    return None


def url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number, or above 65535, raises here
    except ValueError as exc:  # an unclosed "[" (IPv6 literal) too: both were 500s (found by Schemathesis)
        return f"is not a valid URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return "must be an http:// or https:// URL"
    if not parts.hostname:
        return "names no host"
    if parts.username or parts.password:
        return "must not carry credentials"
    return None


async def resolve_problem(url: str, *, allow_loopback: bool) -> str | None:
    """Resolve the URL's host; a problem if any address it resolves to is refused (or none)."""
    if problem := url_problem(url):
        return problem
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return f"host {parts.hostname!r} does not resolve"
    for info in infos:
        if problem := address_problem(str(info[4][0]), allow_loopback=allow_loopback):
            return problem
    return None if infos else f"host {parts.hostname!r} does not resolve"
