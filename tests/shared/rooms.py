"""Sessions driven to a given phase, and a valid map of every message type, for shared tests."""

from dataclasses import dataclass
from typing import Any

from shared.codec import encode
from shared.errors import Rejected
from shared.intake import admit
from shared.messages import LOBBY_TYPES, ClientMessage, MessageType
from shared.seats import LETTER_PHASES, Mode, Phase, Seat
from shared.session import Change, Session

A, B = Seat.A, Seat.B

PAKE_MSG = b"\x01" + bytes(range(32))
"""As long as a SPAKE2 message; the rules never look inside it."""
MAC = bytes(range(100, 132))
BOX = bytes(12) + b"sealed, the server cannot read this" + bytes(16)
"""Shaped like a box (nonce, ciphertext, tag); the rules only count its bytes."""

VALID: dict[MessageType, dict[str, Any]] = {
    MessageType.CREATE: {"t": "create"},
    MessageType.JOIN: {"t": "join", "code": "ABCDE-FGHJK"},
    MessageType.RESUME: {"t": "resume", "code": "ABCDE-FGHJK", "token": "x" * 22, "after": 0},
    MessageType.PAKE: {"t": "pake", "msg": PAKE_MSG},
    MessageType.VERIFY: {"t": "verify", "mac": MAC},
    MessageType.HELLO: {"t": "hello", "box": b"hello-" + BOX},
    MessageType.MISMATCH: {"t": "mismatch"},
    MessageType.ASK: {"t": "ask", "box": b"ask-" + BOX},
    MessageType.HANDOVER: {"t": "handover"},
    MessageType.SAY: {"t": "say", "box": b"say-" + BOX},
    MessageType.DONE: {"t": "done"},
    MessageType.DECLINE: {"t": "decline"},
    MessageType.REFLECT: {"t": "reflect", "box": b"reflect-" + BOX},
    MessageType.CONFIRM: {"t": "confirm"},
    MessageType.MORE: {"t": "more"},
    MessageType.NOD: {"t": "nod", "kind": "heart"},
    MessageType.TYPING: {"t": "typing", "on": True},
    MessageType.NOTE: {"t": "note", "box": b"note-" + BOX},
    MessageType.LEAVE: {"t": "leave"},
    MessageType.PROPOSE: {"t": "propose", "box": b"propose-" + BOX},
    MessageType.ANSWER: {"t": "answer", "box": b"answer-" + BOX},
    MessageType.PEEK: {"t": "peek", "code": "ABCDE-FGHJK", "token": "x" * 22, "after": 0},
}
"""One valid map per client message type: docs/protocol.md, Client → server."""

IN_ROOM_TYPES = tuple(kind for kind in MessageType if kind not in LOBBY_TYPES)
ACTIVE = (Phase.ASKING, Phase.SHARING, Phase.REFLECTING, Phase.CONFIRMING)

PAIRING: tuple[tuple[Seat, MessageType], ...] = (
    (A, MessageType.PAKE),
    (B, MessageType.PAKE),
    (A, MessageType.VERIFY),
    (B, MessageType.VERIFY),
    (A, MessageType.HELLO),
    (B, MessageType.HELLO),
)
"""docs/protocol.md, Pairing, The steps: one order of the six steps that start round 1."""


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


def waiting(mode: Mode = Mode.LIVE) -> Session:
    """A room of `mode` whose creator `a` sits alone."""
    session = Session(mode=mode)
    session.seat_member(A)
    return session


def joined(mode: Mode = Mode.LIVE) -> Session:
    """Both seats taken, nothing of the pairing sent: still `waiting`."""
    session = waiting(mode)
    session.seat_member(B)
    return session


def hello(seat: Seat) -> ClientMessage:
    """`seat`'s `hello`, its box telling the seats apart."""
    return message(MessageType.HELLO, box=f"name of {seat}".encode())


def pairing_at(count: int, mode: Mode = Mode.LIVE) -> Session:
    """Both seats joined and the first `count` steps of PAIRING sent."""
    session = joined(mode)
    for seat, kind in PAIRING[:count]:
        session.apply(seat, hello(seat) if kind is MessageType.HELLO else message(kind))
    return session


def seated() -> Session:
    """Both seats taken and paired: round 1, `a` asks."""
    return pairing_at(len(PAIRING))


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

TO_LETTER_PHASE: dict[Phase, tuple[tuple[Seat, MessageType], ...]] = {
    Phase.PROPOSING: (),
    Phase.ANSWERING: ((A, MessageType.PROPOSE),),
    Phase.REVEALED: ((A, MessageType.PROPOSE), (A, MessageType.ANSWER), (B, MessageType.ANSWER)),
}
"""From a paired letters room, the moves of letter 1 that reach each letters phase
(docs/protocol.md, Letters)."""

FLOOR = {Phase.ASKING: A, Phase.SHARING: B, Phase.REFLECTING: A, Phase.CONFIRMING: B}
"""Who holds the floor in each active phase of round 1."""


def in_phase(phase: Phase) -> Session:
    """A room in `phase` during round 1 (asker `a`); `ended` after `a` left mid-round; a
    letters phase in a letters room, letter 1 proposed by `a`."""
    if phase is Phase.WAITING:
        return waiting()
    if phase is Phase.ENDED:
        return play(in_phase(Phase.SHARING), (A, MessageType.LEAVE))
    if phase in LETTER_PHASES:
        return play(pairing_at(len(PAIRING), Mode.LETTERS), *TO_LETTER_PHASE[phase])
    return play(seated(), *TO_PHASE[phase])


@dataclass(frozen=True)
class Snapshot:
    """Everything a message could change in a session."""

    phase: Phase
    round: int
    asker: Seat
    floor: Seat | None
    names: dict[Seat, bytes | None]
    online: dict[Seat, bool]
    paked: frozenset[Seat]
    verified: frozenset[Seat]
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
        paked=session.paked,
        verified=session.verified,
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
