"""One seat's secrets in a room: the pairing, then opening the log's boxes and sealing new ones.

Pure, like the session rules: events go in, the words they hold and the
pairing steps owed come out (docs/protocol.md, Pairing and Sealing). The room link feeds it on
the network worker; the screen only ever sees opened text.
"""

import dataclasses
from collections.abc import Mapping, Sequence

from client.seat.opened import Opened
from shared.crypto.boxes import Opener, Sealer, Tampered
from shared.crypto.pairing import Pairing, PairingError, RoomKey
from shared.events import Event, EventKind
from shared.messages import (
    Answer,
    Ask,
    ClientMessage,
    Confirm,
    Decline,
    Done,
    Handover,
    Hello,
    Leave,
    MessageType,
    Mismatch,
    More,
    Nod,
    Note,
    Pake,
    Propose,
    Reflect,
    Say,
    Verify,
)
from shared.seats import Seat
from shared.session import Session
from shared.vocabulary import MOVE_TYPES, SEALED_AS, WORDED_TYPES

MISMATCHED = (
    "The code didn't match, so nothing was shared. Start a new room and read the code again."
)
TAMPERED = (
    "A message could not be verified, so it was not shown; "
    "the session has stopped to keep you safe."
)
UNPAIRED = (
    "This window was closed before the pairing finished, so this room cannot go on. "
    "Start a new room and read the code again."
)

WAITING = "Waiting for your partner…"
CHECKING = "Checking the code…"
PAIRED = "Paired."

_BOXED = {kind: sealed for kind, sealed in SEALED_AS.items() if sealed in WORDED_TYPES}
"""The events whose box holds what a person typed, and the type each was sealed as."""
_MOVES = {kind: sealed for kind, sealed in SEALED_AS.items() if sealed in MOVE_TYPES}
"""docs/protocol.md, Sealing: the moves that carry a box once both hellos are in the log."""
SealedMove = Handover | Done | Decline | Confirm | More | Nod | Leave
_SEALED_MESSAGES: dict[
    MessageType,
    type[Hello] | type[Ask] | type[Say] | type[Reflect] | type[Note] | type[Propose] | type[Answer],
] = {
    MessageType.HELLO: Hello,
    MessageType.ASK: Ask,
    MessageType.SAY: Say,
    MessageType.REFLECT: Reflect,
    MessageType.NOTE: Note,
    MessageType.PROPOSE: Propose,
    MessageType.ANSWER: Answer,
}


class CannotPair(Exception):
    """The pairing cannot go on in this window; `str()` is the sentence to show."""


class SealedRoom:
    """Pairs from the log, opens every box in `seq` order, and seals this seat's words.

    A new window pairs with the invite's `words`; a window resuming a seat kept
    on disk brings the `key` instead and reads the whole log again from seq 1.
    """

    def __init__(
        self,
        nameplate: str,
        me: Seat,
        name: str,
        room: Session,
        *,
        words: Sequence[str] = (),
        key: RoomKey | None = None,
    ) -> None:
        self.me = me
        self.name = name
        self.key = key
        self.names: dict[Seat, str | None] = dict.fromkeys(Seat)
        """Each seat's name, from its opened `hello`."""
        self.room = room
        """The room as the log has it so far, kept by the mirror (client/seat/mirror.py):
        Session.may says which pairing step is due."""
        self.verified = False
        """The partner's `verify` matched ours: the code was the same on both sides."""
        self.mismatched = False
        """A `verify` did not match, or a `mismatch` is in the log: the room is burned."""
        self._pairing = Pairing(nameplate, words) if key is None and words else None
        self._opener = Opener(key) if key is not None else None
        self._sent: set[MessageType] = set()
        """Pairing steps sent on this connection; the log tells what the server kept."""
        self._pending: list[tuple[int, MessageType]] = []
        """Id and kind of each of our boxes on its way: each took a counter the log has not
        shown yet."""
        self._next_id = 1

    @property
    def progress(self) -> str:
        """The calm status line while pairing."""
        if self.key is None:
            return WAITING
        return PAIRED if self.verified else CHECKING

    def connected(self) -> None:
        """A new connection: nothing is on its way any more, the log says what arrived."""
        self._sent.clear()
        self._pending.clear()

    def forget_log(self, room: Session) -> None:
        """The log is to be read again from seq 1, following `room` afresh (a resync): forget
        the names, the pairing's outcome and every box counter, keeping only the key and the
        pairing under way, which the log's `pake`s were made with."""
        self.room = room
        self.names = dict.fromkeys(Seat)
        self.verified = False
        self.mismatched = False
        self._opener = Opener(self.key) if self.key is not None else None
        self.connected()

    def read(self, event: Event) -> Opened:
        """Take the next event of the log, which `room` has already followed; Tampered for a
        box that does not open as it must.

        CannotPair when the pairing needs words this window does not have.
        """
        partner = event.by is not self.me
        kind = event.kind
        text = card = None
        if kind is EventKind.PAKE and partner and self.key is None:
            self._finish(event.msg or b"")
        elif kind is EventKind.VERIFY and partner:
            self._check(event.mac or b"")
        elif kind is EventKind.MISMATCH:
            self.mismatched = True
        elif kind is EventKind.ANSWER:
            self._withhold(event)
        elif kind is EventKind.REVEAL:
            text = self._release(event)
        elif kind in _BOXED:
            opened = self._open(event, _BOXED[kind])
            if kind is EventKind.HELLO:
                self.names[event.by] = opened["name"]
            else:
                text, card = opened["text"], opened.get("card")
        elif kind in _MOVES and self.paired:
            # Before both hellos a `leave` has no key to seal with; after them every move
            # has a box, or the server made it up (docs/protocol.md, Sealing).
            opened = self._open(event, _MOVES[kind])
            if kind is EventKind.NOD and opened.get("kind") != event.nod:
                raise Tampered(f"the nod at seq {event.seq} is not the nod that was sealed")
        return Opened(event, dict(self.names), text, card)

    @property
    def paired(self) -> bool:
        """Both hellos opened: from here on every move of either seat carries a box."""
        return all(name is not None for name in self.names.values())

    def due(self) -> list[ClientMessage]:
        """The pairing steps owed now and not yet sent on this connection, in order."""
        steps: list[ClientMessage] = []
        if self.mismatched:
            if self._may(MessageType.MISMATCH):
                steps.append(Mismatch())
            return steps
        if self._pairing is not None and self._may(MessageType.PAKE):
            steps.append(Pake(msg=self._pairing.message))
        if self.key is not None and self._may(MessageType.VERIFY):
            steps.append(Verify(mac=self.key.verifier(self.me)))
        if self.verified and self._may(MessageType.HELLO):
            steps.append(self.seal(MessageType.HELLO, {"name": self.name}))
        return steps

    def seal(self, kind: MessageType, fields: Mapping[str, str]) -> ClientMessage:
        """`fields` sealed as `kind`, numbered after every box of ours the log has or will have.

        The counter follows the log, not a tally of sends: a message refused or
        lost on a dropped connection never leaves a gap the partner would take
        for a dropped box.
        """
        assert self.key is not None, "sealing before pairing"
        assert self._opener is not None, "sealing before pairing"
        counter = self._opener.opened(self.me) + len(self._pending)
        box = Sealer(self.key, self.me, sealed=counter).seal(kind, fields)
        message = _SEALED_MESSAGES[kind](box=box, id=self._next_id)
        self._pending.append((self._next_id, kind))
        self._next_id += 1
        return message

    def seal_move(self, move: SealedMove) -> SealedMove:
        """`move` with its box, `{}` or the nod's kind, once paired; as it is before.

        Numbered like every box (see `seal`), with an `id` so a refusal frees its counter.
        """
        if not self.paired or not self.can_seal:
            return move
        assert self.key is not None, "sealing before pairing"
        assert self._opener is not None, "sealing before pairing"
        fields = {"kind": str(move.kind)} if isinstance(move, Nod) else {}
        counter = self._opener.opened(self.me) + len(self._pending)
        box = Sealer(self.key, self.me, sealed=counter).seal(move.TYPE, fields)
        sealed = dataclasses.replace(move, box=box, id=self._next_id)
        self._pending.append((self._next_id, move.TYPE))
        self._next_id += 1
        return sealed

    def refused(self, re: int | None) -> None:
        """The server refused (or never got) the message numbered `re`: its counter is free."""
        self._pending = [(id, kind) for id, kind in self._pending if id != re]

    @property
    def on_its_way(self) -> tuple[MessageType, ...]:
        """Our sealed messages sent on this connection and not yet in the log, in order."""
        return tuple(kind for _, kind in self._pending)

    @property
    def can_seal(self) -> bool:
        return self._opener is not None and self.verified and not self.mismatched

    def _may(self, kind: MessageType) -> bool:
        if kind in self._sent or not self.room.may(self.me, kind):
            return False
        self._sent.add(kind)
        return True

    def _finish(self, partner_message: bytes) -> None:
        if self._pairing is None:
            raise CannotPair(UNPAIRED)
        try:
            self.key = self._pairing.finish(partner_message)
        except PairingError:
            # A pake that is not one cannot lead to a shared key: the same as a wrong code.
            self.mismatched = True
            return
        self._opener = Opener(self.key)

    def _check(self, mac: bytes) -> None:
        if self.key is None:
            self.mismatched = True
            return
        # docs/protocol.md, Pairing, The steps: a difference means another code, or someone
        # in between.
        if self.key.verifies(self.me.partner, mac):
            self.verified = True
        else:
            self.mismatched = True

    def _withhold(self, event: Event) -> None:
        """docs/protocol.md, Letters, Withheld until both are in: an `answer` comes without its
        box, but takes its writer's counter here, where it is in the log."""
        if self._opener is None:
            raise Tampered(f"an answer before a key, at seq {event.seq}")
        self._opener.withhold(event.by)
        if event.by is self.me and self._pending:
            self._pending.pop(0)

    def _release(self, event: Event) -> str:
        """The text of the answer a `reveal` brings, opened with the counter its `answer` took."""
        if self._opener is None or event.box is None:
            raise Tampered(f"a reveal without a box or before a key, at seq {event.seq}")
        if len(self.room.letter.answered) < 2:
            # The server keeps this rule, not the key: a client that shows an early reveal
            # would let a server that breaks it show one answer before the other is written.
            raise Tampered(f"a reveal before both answers, at seq {event.seq}")
        return self._opener.release(event.by, event.box)["text"]

    def _open(self, event: Event, kind: MessageType) -> dict[str, str]:
        if self._opener is None or event.box is None:
            raise Tampered(f"a {event.kind} without a box or before a key, at seq {event.seq}")
        opened = self._opener.open(event.by, kind, event.box)
        if event.by is self.me and self._pending:
            self._pending.pop(0)
        return opened
