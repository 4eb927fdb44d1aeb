"""Who gets a descriptor: connections counted per address and in all, by direct calls."""

from server.doorway import HEALTH_SPARES, Doorway, Entry, peer_key


def test_an_ipv6_peer_counts_as_its_64_and_a_mapped_ipv4_as_itself() -> None:
    """Two addresses of one /64 share one allowance; an IPv4-mapped IPv6 peer is its IPv4."""
    assert peer_key("2001:db8:1:2::5") == peer_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert peer_key("2001:db8:1:3::5") != peer_key("2001:db8:1:2::5")
    assert peer_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert peer_key("192.0.2.7") == "192.0.2.7"
    assert peer_key("fe80::1%eth0") == "fe80::/64"


def test_an_address_past_its_share_is_shut_out_and_let_in_again_once_one_leaves() -> None:
    """Every connection from an address counts, whatever it has sent; one leaving frees a place."""
    doorway = Doorway[str](per_address=2, total=10)
    assert [doorway.enter(f"c{n}", "192.0.2.1")[0] for n in range(3)] == [
        Entry.IN,
        Entry.IN,
        Entry.SHUT,
    ]
    assert doorway.enter("other", "192.0.2.2") == (Entry.IN, None)
    doorway.leave("c0")
    assert doorway.enter("c3", "192.0.2.1") == (Entry.IN, None)
    doorway.leave("never let in")
    assert doorway.total == 3


def test_a_full_server_keeps_spares_for_healthz_and_the_newest_spare_wins() -> None:
    """Past `total`, connections are spares; once the spares are taken, the oldest unanswered one
    makes room for the newest, and an answered one is never made room for."""
    doorway = Doorway[str](per_address=100, total=2)
    assert [doorway.enter(f"in{n}", None)[0] for n in range(2)] == [Entry.IN, Entry.IN]
    spares = [doorway.enter(f"spare{n}", f"192.0.2.{n}") for n in range(HEALTH_SPARES)]
    assert spares == [(Entry.SPARE, None)] * HEALTH_SPARES
    doorway.answered("spare0")
    assert doorway.enter("newest", "198.51.100.1") == (Entry.SPARE, "spare1")
    assert doorway.total == 2 + HEALTH_SPARES
    for n in range(2, HEALTH_SPARES):
        doorway.answered(f"spare{n}")
    doorway.answered("newest")
    assert doorway.enter("one more", "198.51.100.2") == (Entry.SHUT, None)
