"""This machine's addresses for the invite, found without sending any network traffic."""

import ipaddress
import socket


def local_addresses() -> list[str]:
    """The host's own addresses from its name, loopback only when there is nothing else."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, type=socket.SOCK_STREAM)
    except OSError:
        infos = []
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
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
