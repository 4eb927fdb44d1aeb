"""Sessions driven to a given phase, and a valid map of every message type, for shared tests."""

from dataclasses import dataclass
from typing import Any

from shared.codec import encode
from shared.errors import Rejected
from shared.intake import admit
from shared.messages import LOBBY_TYPES, ClientMessage, MessageType
from shared.seats import Phase, Seat
from shared.session import Change, Session

A, B = Seat.A, Seat.B

VALID: dict[MessageType, dict[str, Any]] = {
    MessageType.CREATE: {"t": "create", "name": "Ana"},
    MessageType.JOIN: {"t": "join", "code": "ABCDE-FGHJK", "name": "Ben"},
    MessageType.RESUME: {"t": "resume", "code": "ABCDE-FGHJK", "token": "x" * 22, "after": 0},
    MessageType.ASK: {"t": "ask", "text": "What made you laugh this week?", "card": "laugh-01"},
    MessageType.HANDOVER: {"t": "handover"},
    MessageType.SAY: {"t": "say", "text": "The cat, mostly."},
    MessageType.DONE: {"t": "done"},
    MessageType.DECLINE: {"t": "decline"},
    MessageType.REFLECT: {"t": "reflect", "text": "The cat made you laugh."},
    MessageType.CONFIRM: {"t": "confirm"},
    MessageType.MORE: {"t": "more"},
    MessageType.NOD: {"t": "nod", "kind": "heart"},
    MessageType.TYPING: {"t": "typing", "on": True},
    MessageType.LEAVE: {"t": "leave"},
}
"""One valid map per client message type: docs/protocol.md, Client → server."""

IN_ROOM_TYPES = tuple(kind for kind in MessageType if kind not in LOBBY_TYPES)
ACTIVE = (Phase.ASKING, Phase.SHARING, Phase.REFLECTING, Phase.CONFIRMING)


def wire(kind: MessageType, /, **overrides: Any) -> dict[str, Any]:
    """The valid map of `kind` with some keys replaced."""
    return {**VALID[kind], **overrides}


def message(kind: MessageType, /, **overrides: Any) -> ClientMessage:
    """A typed message of `kind`, parsed the way the server parses it."""
    return parse(wire(kind, **overrides))


def parse(raw: dict[str, Any]) -> ClientMessage:
    """`raw` as a typed message, through the server's checks up to `bad_field`."""
    lobby = raw["t"] in LOBBY_TYPES
    # A seat in waiting passes the gate for every in-room type; wrong_phase comes later.
    return admit(encode(raw), None if lobby else (waiting(), A))


def waiting() -> Session:
    """A room whose creator `a` sits alone."""
    session = Session()
    session.seat_member(A, "Ana")
    return session


def seated() -> Session:
    """Both seats taken: round 1, `a` asks."""
    session = waiting()
    session.seat_member(B, "Ben")
    return session


def play(session: Session, *moves: tuple[Seat, MessageType]) -> Session:
    """`session` after each seat in turn sends a valid message of its kind."""
    for seat, kind in moves:
        session.apply(seat, message(kind))
    return session


TO_PHASE: dict[Phase, tuple[tuple[Seat, MessageType], ...]] = {
    Phase.ASKING: (),
    Phase.SHARING: ((A, MessageType.ASK),),
    Phase.REFLECTING: ((A, MessageType.ASK), (B, MessageType.SAY), (B, MessageType.DONE)),
    Phase.CONFIRMING: (
        (A, MessageType.ASK),
        (B, MessageType.SAY),
        (B, MessageType.DONE),
        (A, MessageType.REFLECT),
    ),
}
"""From `seated()`, the moves of round 1 that reach each active phase."""

FLOOR = {Phase.ASKING: A, Phase.SHARING: B, Phase.REFLECTING: A, Phase.CONFIRMING: B}
"""Who holds the floor in each active phase of round 1."""


def in_phase(phase: Phase) -> Session:
    """A room in `phase` during round 1 (asker `a`); `ended` after `a` left mid-round."""
    if phase is Phase.WAITING:
        return waiting()
    if phase is Phase.ENDED:
        return play(in_phase(Phase.SHARING), (A, MessageType.LEAVE))
    return play(seated(), *TO_PHASE[phase])


@dataclass(frozen=True)
class Snapshot:
    """Everything a message could change in a session."""

    phase: Phase
    round: int
    asker: Seat
    floor: Seat | None
    names: dict[Seat, str | None]
    online: dict[Seat, bool]
    said_since_sharing: bool
    said_since_ask: bool


def snapshot(session: Session) -> Snapshot:
    return Snapshot(
        phase=session.phase,
        round=session.round,
        asker=session.asker,
        floor=session.floor,
        names=dict(session.names),
        online=dict(session.online),
        said_since_sharing=session.said_since_sharing,
        said_since_ask=session.said_since_ask,
    )


def refused(session: Session, seat: Seat, msg: ClientMessage) -> Rejected:
    """The rejection `session` gives `msg` from `seat`, checking it changed nothing."""
    before = snapshot(session)
    try:
        change: Change | None = session.apply(seat, msg)
    except Rejected as rejection:
        assert snapshot(session) == before
        return rejection
    raise AssertionError(f"{msg.TYPE} from {seat} was accepted as {change}")
