"""Letters through one seat's secrets: an answer takes its counter where it is in the log, and
only the reveal that carries that very box opens (docs/protocol.md, Letters)."""

import os

import pytest

from client.seat.opened import Opened
from client.seat.sealed import SealedRoom
from shared.crypto.boxes import Sealer, Tampered
from shared.crypto.pairing import RoomKey
from shared.events import Event, EventKind, RoomState
from shared.messages import MessageType
from shared.seats import Mode, Phase, Seat
from shared.session import Session

NAMEPLATE = "K7M2Q-X9P4R"
KEY = RoomKey(nameplate=NAMEPLATE, secret=os.urandom(32))
STATE = RoomState(
    phase=Phase.ANSWERING, round=1, asker=Seat.A, names=dict.fromkeys(Seat), online={}
)


class Writer:
    """One seat sealing its boxes in order, as its own client would."""

    def __init__(self, seat: Seat) -> None:
        self.seat = seat
        self.sealed = 0

    def box(self, kind: MessageType, fields: dict[str, str]) -> bytes:
        box = Sealer(KEY, self.seat, sealed=self.sealed).seal(kind, fields)
        self.sealed += 1
        return box


def event(seq: int, kind: EventKind, by: Seat, box: bytes | None = None) -> Event:
    return Event(seq=seq, at=seq * 1000, kind=kind, by=by, state=STATE, box=box)


def letter_log(swap: bool = False) -> list[Event]:
    """Both hellos, Ana's question, both answers withheld, then the two reveals."""
    ana, ben = Writer(Seat.A), Writer(Seat.B)
    hellos = [
        event(1, EventKind.HELLO, Seat.A, ana.box(MessageType.HELLO, {"name": "Ana"})),
        event(2, EventKind.HELLO, Seat.B, ben.box(MessageType.HELLO, {"name": "Ben"})),
    ]
    question = ana.box(MessageType.PROPOSE, {"text": "What do you miss?", "card": "apart-1"})
    anas = ana.box(MessageType.ANSWER, {"text": "Your laugh"})
    bens = ben.box(MessageType.ANSWER, {"text": "[bold]x[/bold]"})
    first, second = (bens, anas) if swap else (anas, bens)
    return [
        *hellos,
        event(3, EventKind.PROPOSE, Seat.A, question),
        event(4, EventKind.ANSWER, Seat.A),
        event(5, EventKind.ANSWER, Seat.B),
        event(6, EventKind.REVEAL, Seat.A, first),
        event(7, EventKind.REVEAL, Seat.B, second),
    ]


def reader() -> SealedRoom:
    return SealedRoom(NAMEPLATE, Seat.B, "Ben", Session(mode=Mode.LETTERS), key=KEY)


def read(room: SealedRoom, e: Event) -> Opened:
    """The event as the room link takes it: the mirror follows it, then the secrets read it."""
    room.room.observe(e)
    return room.read(e)


def test_answers_open_only_at_their_reveals() -> None:
    """The question opens with its card, the answers show nothing, and each reveal opens its
    writer's answer with the counter the answer took."""
    room = reader()
    opened = [read(room, e) for e in letter_log()]
    assert (opened[2].text, opened[2].card) == ("What do you miss?", "apart-1")
    assert opened[3].text is None
    assert opened[4].text is None
    assert [o.text for o in opened[5:]] == ["Your laugh", "[bold]x[/bold]"]


def test_a_swapped_reveal_does_not_open() -> None:
    """A server that puts Ben's answer in Ana's reveal is caught: the box does not open."""
    room = reader()
    log = letter_log(swap=True)
    for e in log[:5]:
        read(room, e)
    with pytest.raises(Tampered, match="does not open"):
        read(room, log[5])


def test_a_reveal_before_both_answers_is_not_shown() -> None:
    """A server that releases Ana's answer before Ben has answered is caught, though the box
    itself would open: the client shows a reveal only after both answers."""
    room = reader()
    log = letter_log()
    for e in log[:4]:
        read(room, e)
    with pytest.raises(Tampered, match="before both answers"):
        read(room, log[5])


def test_our_own_answer_frees_its_pending_counter() -> None:
    """Our answer's event takes the pending counter it was sealed with: the next box we seal
    is numbered after it, not on top of it."""
    log = letter_log()
    room = SealedRoom(NAMEPLATE, Seat.A, "Ana", Session(mode=Mode.LETTERS), key=KEY)
    room.verified = True
    for e in log[:3]:
        read(room, e)
    room.seal(MessageType.ANSWER, {"text": "Your laugh"})
    assert room.on_its_way == (MessageType.ANSWER,)
    read(room, log[3])
    assert not room.on_its_way
    sealed = room.seal(MessageType.REFLECT, {"text": "I heard"})
    assert sealed.TYPE is MessageType.REFLECT
