"""The close codes the server sends: docs/protocol.md, Close codes."""

from enum import IntEnum


class CloseCode(IntEnum):
    """Why the server closed a connection."""

    LEFT = 1000
    """After the member's own `leave`."""
    GOING_AWAY = 1001
    """The server shuts down, the room expired, or a ping went unanswered: the client may
    resume."""
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
