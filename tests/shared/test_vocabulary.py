"""The vocabulary table covers the protocol: every message a room records, every event it makes."""

from shared.events import EventKind
from shared.messages import LOBBY_TYPES, MessageType
from shared.vocabulary import RECORDED, Carries, carries, event_kind

SERVERS_OWN = {EventKind.JOINED, EventKind.AWAY, EventKind.BACK}
RELEASES = {EventKind.REVEAL}
"""The server's own event that carries a seat's box: docs/protocol.md, Letters."""
"""Events no message makes: docs/protocol.md, Server → client, Event kinds."""


def test_every_message_in_a_room_but_typing_is_recorded_and_every_event_is_made_once() -> None:
    """The table names each in-room message but `typing`, and each event kind exactly once."""
    in_room = set(MessageType) - LOBBY_TYPES - {MessageType.TYPING}
    assert set(RECORDED) == in_room
    made = [recorded.event for recorded in RECORDED.values()]
    assert sorted(made) == sorted(set(EventKind) - SERVERS_OWN - RELEASES)
    assert event_kind(MessageType.LEAVE) is EventKind.LEFT
    assert all(carries(kind) is Carries.NOTHING for kind in SERVERS_OWN)
