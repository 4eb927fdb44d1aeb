"""This machine's addresses for the invite, found without sending any network traffic."""

import ipaddress
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# A documentation address (RFC 5737): only used to ask the kernel which route it would take.
_ROUTE_PROBE = ("192.0.2.1", 9)


def _named_addresses() -> list[Address]:
    """What the host name resolves to; often just loopback on Debian-style hosts."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _routed_address() -> list[Address]:
    """The source address of the default route: connecting a UDP socket sends no packet."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)
            return [ipaddress.ip_address(probe.getsockname()[0])]
    except OSError:
        return []


def local_addresses() -> list[str]:
    """The host's own addresses, IPv4 first; loopback only when there is nothing else."""
    found: list[Address] = []
    for address in _routed_address() + _named_addresses():
        # A link-local IPv6 address needs a zone the partner cannot know: useless in a command.
        if address not in found and not (address.version == 6 and address.is_link_local):
            found.append(address)
    reachable = [address for address in found if not address.is_loopback]
    chosen = reachable or [ipaddress.ip_address("127.0.0.1")]
    chosen.sort(key=lambda address: address.version)
    return [str(address) for address in chosen]


def server_urls(port: int) -> tuple[str, ...]:
    """One `ws://` URL per address, IPv6 in brackets."""
    return tuple(
        f"ws://[{address}]:{port}" if ":" in address else f"ws://{address}:{port}"
        for address in local_addresses()
    )
