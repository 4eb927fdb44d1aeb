"""The protocol's vocabulary in one table: each message the room records, the event it becomes
and what that event carries (docs/protocol.md, Server → client, Event kinds, and Sealing).

The session rules, the boxes, the server's storage, the client and Sam all derive what
they need from `RECORDED`, so a new message is described once.
"""

from dataclasses import dataclass
from enum import Enum

from shared.events import EventKind
from shared.messages import MessageType


class Carries(Enum):
    """What an event holds besides the room's state."""

    NOTHING = "nothing"
    MSG = "msg"
    """The pairing's public message: `pake`."""
    MAC = "mac"
    """The pairing's verifier: `verify`."""
    WORDS = "words"
    """A box with what a person typed: `hello`, `ask`, `say`, `reflect`, `note`, and in
    letters `propose` and `answer`."""
    MOVE = "move"
    """A box of `{}` (a nod's: its kind), sealed only so the server cannot forge the move."""

    @property
    def field(self) -> str | None:
        """The field that holds it, in the message and in the event alike."""
        return _FIELDS.get(self)


_FIELDS = {Carries.MSG: "msg", Carries.MAC: "mac", Carries.WORDS: "box", Carries.MOVE: "box"}


@dataclass(frozen=True)
class Recorded:
    """What a message becomes once the room takes it."""

    event: EventKind
    carries: Carries

    @property
    def sealed(self) -> bool:
        """The event carries a box, sealed by the seat that sent the message."""
        return self.carries in (Carries.WORDS, Carries.MOVE)


RECORDED: dict[MessageType, Recorded] = {
    MessageType.PAKE: Recorded(EventKind.PAKE, Carries.MSG),
    MessageType.VERIFY: Recorded(EventKind.VERIFY, Carries.MAC),
    MessageType.HELLO: Recorded(EventKind.HELLO, Carries.WORDS),
    MessageType.MISMATCH: Recorded(EventKind.MISMATCH, Carries.NOTHING),
    MessageType.ASK: Recorded(EventKind.ASK, Carries.WORDS),
    MessageType.HANDOVER: Recorded(EventKind.HANDOVER, Carries.MOVE),
    MessageType.SAY: Recorded(EventKind.SAY, Carries.WORDS),
    MessageType.DONE: Recorded(EventKind.DONE, Carries.MOVE),
    MessageType.DECLINE: Recorded(EventKind.DECLINE, Carries.MOVE),
    MessageType.REFLECT: Recorded(EventKind.REFLECT, Carries.WORDS),
    MessageType.CONFIRM: Recorded(EventKind.CONFIRM, Carries.MOVE),
    MessageType.MORE: Recorded(EventKind.MORE, Carries.MOVE),
    MessageType.NOD: Recorded(EventKind.NOD, Carries.MOVE),
    MessageType.NOTE: Recorded(EventKind.NOTE, Carries.WORDS),
    MessageType.LEAVE: Recorded(EventKind.LEFT, Carries.MOVE),
    MessageType.PROPOSE: Recorded(EventKind.PROPOSE, Carries.WORDS),
    MessageType.ANSWER: Recorded(EventKind.ANSWER, Carries.WORDS),
}
"""Every message that becomes an event. `create`, `join`, `resume` and `peek` answer with
`joined` and `typing` is passed on, not recorded; `joined`, `away`, `back` and `reveal` are the
server's own."""

RELEASED: dict[EventKind, MessageType] = {EventKind.REVEAL: MessageType.ANSWER}
"""docs/protocol.md, Letters: the server's own events that carry a seat's box, sealed by the
seat named in `by` as the given type: a `reveal` sends out an `answer`'s withheld box."""

SEALED_TYPES = frozenset(kind for kind, recorded in RECORDED.items() if recorded.sealed)
"""The message types that carry a box: every move a seat makes after the pairing, and hello."""

WORDED_TYPES = frozenset(k for k, r in RECORDED.items() if r.carries is Carries.WORDS)
"""The sealed types whose box holds what a person typed."""

MOVE_TYPES = frozenset(k for k, r in RECORDED.items() if r.carries is Carries.MOVE)
"""The moves sealed only so the server cannot forge, drop or relabel them."""

SEALED_AS: dict[EventKind, MessageType] = {
    **{recorded.event: kind for kind, recorded in RECORDED.items() if recorded.sealed},
    **RELEASED,
}
"""The events that carry a box, and the message type the box was sealed as."""

CARRIES: dict[EventKind, Carries] = {
    **{r.event: r.carries for r in RECORDED.values()},
    EventKind.REVEAL: Carries.WORDS,
}
"""What each event kind holds; the server's own events hold nothing."""


def event_kind(kind: MessageType) -> EventKind:
    """The event a recorded message of `kind` becomes: its own name, but `leave` is `left`."""
    return RECORDED[kind].event


def carries(kind: EventKind) -> Carries:
    return CARRIES.get(kind, Carries.NOTHING)
