"""The host's invite lists this machine's addresses as commands a partner can paste."""

import ipaddress

from client.addresses import local_addresses, server_urls


def test_invite_addresses_are_real_and_skip_loopback_when_others_exist() -> None:
    """Every address parses, loopback appears only alone, and each URL carries the port."""
    addresses = [ipaddress.ip_address(address) for address in local_addresses()]
    assert addresses
    if len(addresses) > 1:
        assert not any(address.is_loopback for address in addresses)
    for url in server_urls(8765):
        assert url.startswith("ws://")
        assert url.endswith(":8765")
