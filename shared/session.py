"""The turn-taking rules of one room as a pure state machine: no sockets, no clock.

The server enforces with `Session.apply`; the client mirrors the room with
`Session.observe` and asks `Session.may` what its person may do right now.
In fireside.2 the room stays `waiting` until the two seats have paired
(docs/protocol.md, Pairing): each sends `pake`, then `verify`, then
`hello`; the second `hello` starts round 1. The rules never look inside the
bytes: whether a pairing matched is for the clients to find out.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.errors import ErrorCode, Rejected
from shared.events import Event, EventKind, RoomState, floor_of
from shared.letters import Letter
from shared.messages import (
    LOBBY_TYPES,
    ClientMessage,
    MessageType,
    Nod,
)
from shared.seats import ACTIVE_PHASES, LETTER_PHASES, Mode, NodKind, Phase, Seat
from shared.vocabulary import RECORDED, event_kind


@dataclass(frozen=True)
class Change:
    """An accepted message as the event it becomes, before the room numbers and times it."""

    kind: EventKind
    by: Seat
    msg: bytes | None = None
    mac: bytes | None = None
    box: bytes | None = None
    nod: NodKind | None = None


# What the floor holder may send in each phase, before the say-count rules.
_FLOOR_MOVES: dict[Phase, frozenset[MessageType]] = {
    Phase.ASKING: frozenset({MessageType.ASK, MessageType.HANDOVER}),
    Phase.SHARING: frozenset({MessageType.SAY, MessageType.DONE, MessageType.DECLINE}),
    Phase.REFLECTING: frozenset({MessageType.REFLECT}),
    Phase.CONFIRMING: frozenset({MessageType.CONFIRM, MessageType.MORE}),
}
_ANY_ACTIVE_PHASE = frozenset({MessageType.TYPING, MessageType.LEAVE})
_LISTENER_MOVES = frozenset({MessageType.NOD, MessageType.LEAVE})
_NOT_INTERRUPTIONS = frozenset({MessageType.LEAVE, MessageType.NOTE})
"""Taken from either seat in listening mode too: the goodbye is not an interruption."""


@dataclass
class Session:
    """One room's phase, round, asker and presence, and what each seat may do."""

    phase: Phase = Phase.WAITING
    round: int = 1
    asker: Seat = Seat.A
    names: dict[Seat, bytes | None] = field(default_factory=lambda: dict.fromkeys(Seat))
    """Each seat's sealed `hello` box, once it is recorded."""
    online: dict[Seat, bool] = field(default_factory=lambda: dict.fromkeys(Seat, False))
    paked: frozenset[Seat] = frozenset()
    """The seats whose `pake` is recorded."""
    verified: frozenset[Seat] = frozenset()
    """The seats whose `verify` is recorded."""
    said_since_sharing: bool = False
    """At least one `say` since the phase last became `sharing` (`done` needs one)."""
    said_since_ask: bool = False
    """At least one `say` since the last `ask` (`decline` needs none)."""
    noted: frozenset[Seat] = frozenset()
    """The seats whose closing `note` is recorded: one each."""
    mode: Mode = Mode.LIVE
    letter: Letter = field(default_factory=Letter)
    """docs/protocol.md, Letters: the open letter of a letters room; unused in a live one."""

    def copy(self) -> "Session":
        """An independent copy, to go back to: what dataclasses.replace gives, spelled out, as
        the server takes one for nearly every message."""
        return Session(
            phase=self.phase,
            round=self.round,
            asker=self.asker,
            names=dict(self.names),
            online=dict(self.online),
            paked=self.paked,
            verified=self.verified,
            said_since_sharing=self.said_since_sharing,
            said_since_ask=self.said_since_ask,
            noted=self.noted,
            mode=self.mode,
            letter=self.letter.copy(),
        )

    @property
    def state(self) -> RoomState:
        return RoomState(
            phase=self.phase,
            round=self.round,
            asker=self.asker,
            names=dict(self.names),
            online=dict(self.online),
        )

    @property
    def floor(self) -> Seat | None:
        return floor_of(self.phase, self.asker)

    def gate(self, seat: Seat, kind: MessageType) -> None:
        """Refuse with `ended` or `listening`, the checks that come before the fields."""
        if kind in LOBBY_TYPES:
            return
        if self.phase is Phase.ENDED:
            raise Rejected(ErrorCode.ENDED, "the session has ended")
        if (
            self.phase in ACTIVE_PHASES
            and self.floor is not seat
            and kind not in _LISTENER_MOVES | _NOT_INTERRUPTIONS
        ):
            raise Rejected(
                ErrorCode.LISTENING,
                "your partner has the floor: you are listening, and may only nod",
            )

    def check(self, seat: Seat, kind: MessageType) -> None:
        """Refuse with `wrong_phase` a move that does not fit the phase."""
        self.gate(seat, kind)
        if kind is MessageType.LEAVE:
            return
        if self.phase in LETTER_PHASES:
            if kind not in self.letter.moves(self.phase, seat):
                raise Rejected(ErrorCode.WRONG_PHASE, self.letter.why_not(self.phase, seat, kind))
            return
        if kind is MessageType.NOTE:
            if self.phase not in ACTIVE_PHASES or seat in self.noted:
                raise Rejected(ErrorCode.WRONG_PHASE, self._why_no_note(seat))
            return
        allowed = self._moves(seat)
        if kind not in allowed:
            raise Rejected(ErrorCode.WRONG_PHASE, self._why_not(kind))

    def may(self, seat: Seat, kind: MessageType) -> bool:
        """Whether `seat` may send `kind` now: what the client offers its person."""
        try:
            self.check(seat, kind)
        except Rejected:
            return False
        return True

    def may_after(self, seat: Seat, coming: Sequence[MessageType], kind: MessageType) -> bool:
        """Whether `seat` may send `kind` right behind its own `coming` moves, sent and not yet
        in the log: the server takes a seat's messages in order, so `kind` meets the room
        they will have made (F3 pressed in the same burst as ctrl+s, say)."""
        after = self.copy()
        for move in coming:
            if not after.may(seat, move):
                return False
            after._transition(Change(event_kind(move), seat))
        return after.may(seat, kind)

    @property
    def both_paked(self) -> bool:
        """Both `pake`s are recorded: there is something to verify, or to find mismatched."""
        return self.paked == frozenset(Seat)

    def _pairing_moves(self, seat: Seat) -> frozenset[MessageType]:
        """docs/protocol.md, Pairing, The steps: each step once per seat, in order."""
        moves: set[MessageType] = set()
        if seat not in self.paked:
            moves.add(MessageType.PAKE)
        if self.both_paked:
            moves.add(MessageType.MISMATCH)
            if seat not in self.verified:
                moves.add(MessageType.VERIFY)
        if self.verified == frozenset(Seat) and self.names[seat] is None:
            moves.add(MessageType.HELLO)
        return frozenset(moves)

    def _moves(self, seat: Seat) -> frozenset[MessageType]:
        if self.phase is Phase.WAITING:
            return self._pairing_moves(seat)
        if self.phase not in ACTIVE_PHASES:
            return frozenset()
        if self.floor is not seat:
            return _LISTENER_MOVES
        moves = _FLOOR_MOVES[self.phase] | _ANY_ACTIVE_PHASE
        if self.phase is Phase.SHARING:
            if not self.said_since_sharing:
                moves -= {MessageType.DONE}
            if self.said_since_ask:
                moves -= {MessageType.DECLINE}
        return moves

    def _why_not(self, kind: MessageType) -> str:
        if self.phase is Phase.WAITING:
            return self._why_not_yet(kind)
        if kind is MessageType.NOD:
            return "nods are for the listener; you have the floor"
        if kind is MessageType.DONE:
            return "say something before you are done"
        if kind is MessageType.DECLINE:
            return "you have already started answering"
        return f"{kind} does not fit the {self.phase} phase"

    def _why_no_note(self, seat: Seat) -> str:
        if seat in self.noted:
            return "you have already left a closing note"
        return "a closing note waits until the session has begun"

    def _why_not_yet(self, kind: MessageType) -> str:
        """Why a message does not fit the pairing: docs/protocol.md, Pairing, The steps."""
        if kind is MessageType.PAKE:
            return "you have already sent your pairing message"
        if kind in (MessageType.VERIFY, MessageType.MISMATCH) and not self.both_paked:
            return "wait for both pairing messages"
        if kind is MessageType.VERIFY:
            return "you have already sent your verification"
        if kind is MessageType.HELLO and self.verified != frozenset(Seat):
            return "wait for both verifications"
        if kind is MessageType.HELLO:
            return "you have already said hello"
        return "the pairing is not complete yet"

    def apply(self, seat: Seat, message: ClientMessage) -> Change | None:
        """Take an in-room message from `seat`: the change it makes, None for typing alone.

        Raises Rejected with `ended`, `listening` or `wrong_phase`; field rules
        were checked when the message was parsed.
        """
        kind = message.TYPE
        self.check(seat, kind)
        if kind is MessageType.TYPING:
            return None
        change = _change(seat, message)
        self._transition(change)
        return change

    def release(self) -> Change | None:
        """The server's own `reveal` due now, taken: after the second `answer` there are two,
        first answered first (docs/protocol.md, Letters, Withheld until both are in)."""
        due = self.letter.release()
        if due is None:
            return None
        writer, box = due
        change = Change(EventKind.REVEAL, writer, box=box)
        self._transition(change)
        return change

    def recall(self, kind: EventKind, by: Seat, box: bytes | None) -> None:
        """Follow an event of the log that a store read back, for what its columns do not say:
        the closing notes left, and the open letter with its withheld answers."""
        if kind is EventKind.NOTE:
            self.noted |= {by}
        # A live room's `say`, `reflect` and `confirm` are no letter's: as in `observe`.
        if self.mode is Mode.LETTERS:
            self.letter.follow(kind, by, box)

    def seat_member(self, seat: Seat) -> Change:
        """A member takes `seat`: `a` when the room is made, `b` when the partner joins.

        The phase stays `waiting`: the pairing, not the join, starts round 1.
        """
        change = Change(EventKind.JOINED, seat)
        self._transition(change)
        return change

    def presence(self, seat: Seat, online: bool) -> Change | None:
        """A member's connection dropped (`away`) or resumed (`back`); None once ended."""
        if self.phase is Phase.ENDED:
            return None
        change = Change(EventKind.BACK if online else EventKind.AWAY, seat)
        self._transition(change)
        return change

    def observe(self, event: Event) -> None:
        """Follow the server's word: the client's mirror of the room after `event`."""
        self.phase = event.state.phase
        self.round = event.state.round
        self.asker = event.state.asker
        self.names = dict(event.state.names)
        self.online = dict(event.state.online)
        self._track_pairing(event.kind, event.by)
        self._track_says(event.kind)
        if self.mode is Mode.LETTERS:
            self.letter.follow(event.kind, event.by, event.box)

    def _track_pairing(self, kind: EventKind, by: Seat) -> None:
        if kind is EventKind.NOTE:
            self.noted |= {by}
        elif kind is EventKind.PAKE:
            self.paked |= {by}
        elif kind is EventKind.VERIFY:
            self.verified |= {by}

    def _track_says(self, kind: EventKind) -> None:
        if kind is EventKind.SAY:
            self.said_since_sharing = self.said_since_ask = True
        elif kind is EventKind.ASK:
            self.said_since_sharing = self.said_since_ask = False
        elif kind is EventKind.MORE:
            self.said_since_sharing = False

    def _transition(self, change: Change) -> None:
        """docs/protocol.md, Transitions."""
        kind = change.kind
        self._track_pairing(kind, change.by)
        self._track_says(kind)
        if self.phase in LETTER_PHASES:
            self._letter_transition(change)
            return
        if kind is EventKind.JOINED:
            self.online[change.by] = True
        elif kind is EventKind.HELLO:
            self.names[change.by] = change.box
            if all(box is not None for box in self.names.values()):
                self.phase = Phase.ASKING if self.mode is Mode.LIVE else Phase.PROPOSING
        elif kind is EventKind.MISMATCH:
            self.phase = Phase.ENDED
        elif kind in (EventKind.AWAY, EventKind.BACK):
            self.online[change.by] = kind is EventKind.BACK
        elif kind is EventKind.LEFT:
            self.online[change.by] = False
            self.phase = Phase.ENDED
        elif kind is EventKind.ASK:
            self.phase = Phase.SHARING
        elif kind is EventKind.HANDOVER:
            self.asker = self.asker.partner
        elif kind is EventKind.DECLINE:
            self.phase = Phase.ASKING
        elif kind is EventKind.DONE:
            self.phase = Phase.REFLECTING
        elif kind is EventKind.REFLECT:
            self.phase = Phase.CONFIRMING
        elif kind is EventKind.MORE:
            self.phase = Phase.SHARING
        elif kind is EventKind.CONFIRM:
            self.phase = Phase.ASKING
            self.round += 1
            self.asker = self.asker.partner

    def _letter_transition(self, change: Change) -> None:
        """docs/protocol.md, Letters, Transitions: presence and `left` as in a live room."""
        kind = change.kind
        if kind in (EventKind.AWAY, EventKind.BACK):
            self.online[change.by] = kind is EventKind.BACK
            return
        if kind is EventKind.LEFT:
            self.online[change.by] = False
            self.phase = Phase.ENDED
            return
        self.letter.follow(kind, change.by, change.box)
        if kind is EventKind.PROPOSE:
            self.asker = change.by
        phase = self.letter.phase_after(kind)
        if phase is Phase.PROPOSING:
            self.round += 1
        if phase is not None:
            self.phase = phase


def _change(seat: Seat, message: ClientMessage) -> Change:
    recorded = RECORDED[message.TYPE]
    field = recorded.carries.field
    held: bytes | None = getattr(message, field) if field is not None else None
    return Change(
        recorded.event,
        seat,
        msg=held if field == "msg" else None,
        mac=held if field == "mac" else None,
        box=held if field == "box" else None,
        nod=message.kind if isinstance(message, Nod) else None,
    )
