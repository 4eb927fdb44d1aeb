"""The protocol's name and its close codes: docs/protocol.md, Transport and Close codes."""

from enum import IntEnum

PROTOCOL = "fireside.2"
"""The websocket subprotocol, and the label the pairing and every box are bound to."""


class CloseCode(IntEnum):
    """Why a side closed a connection: the server's, and the client's own."""

    LEFT = 1000
    """After the member's own `leave`."""
    GOING_AWAY = 1001
    """The server shuts down, the room expired, or a ping went unanswered: the client may
    resume; a client closing its window sends it too."""
    PROTOCOL_ERROR = 1002
    """RFC 6455 7.4.1: what a client closes with when the server's first reply is nonsense."""
    TEXT_FRAME = 1003
    """Only binary frames carry messages."""
    ABUSE = 1008
    """Sustained flooding, repeated bad frames, or a reader that never reads."""
    TOO_BIG = 1009
    """Sent by websockets itself through max_size."""
    INTERNAL = 1011
    """Something unexpected; the member may resume."""
    TAKEN_OVER = 4001
    """A `resume` from another connection took this seat."""
