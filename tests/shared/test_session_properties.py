"""Random message sequences from both seats, checked against the contract's invariants."""

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from shared.codec import decode_reply, encode
from shared.errors import Rejected
from shared.events import Event, parse_reply
from shared.intake import admit
from shared.messages import MessageType
from shared.seats import ACTIVE_PHASES, Phase, Seat
from shared.session import Change, Session
from tests.shared.rooms import IN_ROOM_TYPES, VALID, A, B, snapshot

M = MessageType

CONTRACT_FLOOR_MOVES: dict[Phase, tuple[MessageType, ...]] = {
    Phase.ASKING: (M.ASK, M.HANDOVER, M.TYPING),
    Phase.SHARING: (M.SAY, M.DONE, M.DECLINE, M.TYPING),
    Phase.REFLECTING: (M.REFLECT, M.TYPING),
    Phase.CONFIRMING: (M.CONFIRM, M.MORE, M.TYPING),
}
"""docs/protocol.md, Client → server, written out here independently of `shared.session`."""

GOOD_TEXTS = ["hi", "🔥🔥🔥", "line one\nline two", "tab\there", "é" * 40]
texts = st.one_of(st.sampled_from(GOOD_TEXTS), st.text(max_size=8))
ids = st.one_of(st.integers(min_value=-2, max_value=2**64 - 1), st.sampled_from(["7", True, 1.5]))
FIELDS: dict[MessageType, dict[str, st.SearchStrategy[Any]]] = {
    M.ASK: {"text": texts},
    M.SAY: {"text": texts},
    M.REFLECT: {"text": texts},
    M.NOD: {"kind": st.sampled_from(["heart", "hear", "time", "wave"])},
    M.TYPING: {"on": st.one_of(st.booleans(), st.just(1))},
}


def well_formed(kind: MessageType) -> st.SearchStrategy[dict[str, Any]]:
    """Maps of `kind` with every required key, values mostly but not always valid."""
    return st.fixed_dictionaries(
        {"t": st.just(str(kind)), **FIELDS.get(kind, {})},
        optional={"id": ids, "card": texts},
    )


junk_values = st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=4), st.booleans())
any_message = st.one_of(
    st.sampled_from(IN_ROOM_TYPES).flatmap(well_formed),
    st.sampled_from(IN_ROOM_TYPES).flatmap(well_formed),
    st.sampled_from(IN_ROOM_TYPES).flatmap(well_formed),
    st.sampled_from([M.CREATE, M.JOIN, M.RESUME]).map(lambda kind: VALID[kind]),
    st.fixed_dictionaries({"t": st.text(max_size=6)}),
    st.dictionaries(st.sampled_from(["t", "text", "kind", "on", "id"]), junk_values, max_size=4),
)


class Room(RuleBasedStateMachine):
    """A room driven by both seats, its events mirrored into a second session over the wire."""

    def __init__(self) -> None:
        super().__init__()
        self.session = Session()
        self.mirror = Session()
        self.log: list[Event] = []
        # The test's own reading of the say-count rules, to check done and decline against.
        self.said_since_sharing = False
        self.said_since_ask = False
        self.record(self.session.seat_member(A, "Ana"))

    def record(self, change: Change) -> None:
        """Number `change` as the room would, send it over the wire, and let the mirror follow."""
        sent = Event(
            seq=len(self.log) + 1,
            at=1_764_158_400_000 + 250 * len(self.log),
            kind=change.kind,
            by=change.by,
            state=self.session.state,
            text=change.text,
            card=change.card,
            nod=change.nod,
        )
        received = parse_reply(decode_reply(encode(sent.to_wire())))
        assert received == sent
        assert isinstance(received, Event)
        self.log.append(received)
        self.mirror.observe(received)

    def send(self, seat: Seat, raw: dict[str, Any]) -> MessageType | None:
        """Offer `raw` from `seat` as the server would; the type if accepted, None if refused."""
        before = snapshot(self.session)
        listening = self.session.state.listening(seat)
        try:
            message = admit(encode(raw), (self.session, seat))
            change = self.session.apply(seat, message)
        except Rejected:
            assert snapshot(self.session) == before, "a rejected message changed the room"
            return None
        kind = message.TYPE
        if listening:
            assert kind in (M.NOD, M.LEAVE), f"{kind} accepted from the listener"
        self.follow_round(before.round, before.asker, kind)
        if kind is M.TYPING:
            assert change is None
            assert snapshot(self.session) == before
        else:
            assert change is not None
            self.record(change)
        self.follow_says(kind)
        return kind

    def follow_round(self, round_before: int, asker_before: Seat, kind: MessageType) -> None:
        """Only confirm moves to the next round, and only confirm and handover swap the roles."""
        assert self.session.round == round_before + (kind is M.CONFIRM)
        swapped = kind in (M.CONFIRM, M.HANDOVER)
        assert self.session.asker is (asker_before.partner if swapped else asker_before)

    def follow_says(self, kind: MessageType) -> None:
        if kind is M.SAY:
            self.said_since_sharing = self.said_since_ask = True
        elif kind is M.ASK:
            self.said_since_sharing = self.said_since_ask = False
        elif kind is M.MORE:
            self.said_since_sharing = False

    @precondition(lambda self: self.session.phase is Phase.WAITING)
    @rule()
    def partner_joins(self) -> None:
        self.record(self.session.seat_member(B, "Ben"))
        assert (self.session.phase, self.session.floor) == (Phase.ASKING, A)

    @rule(seat=st.sampled_from(Seat), online=st.booleans())
    def connection_drops_or_resumes(self, seat: Seat, online: bool) -> None:
        before = snapshot(self.session)
        change = self.session.presence(seat, online)
        if change is None:
            assert before.phase is Phase.ENDED
            return
        self.record(change)
        after = snapshot(self.session)
        assert (after.phase, after.round, after.asker, after.floor) == (
            before.phase,
            before.round,
            before.asker,
            before.floor,
        )

    @rule(seat=st.sampled_from(Seat), raw=any_message)
    def anyone_sends_anything(self, seat: Seat, raw: dict[str, Any]) -> None:
        self.send(seat, raw)

    @rule(data=st.data())
    def floor_holder_moves(self, data: st.DataObject) -> None:
        """A move the contract allows the floor holder now is accepted, as the say counts allow.

        While waiting or ended there is no floor: a move of any phase is refused.
        """
        phase, holder = self.session.phase, self.session.floor
        moves = CONTRACT_FLOOR_MOVES.get(phase, CONTRACT_FLOOR_MOVES[Phase.SHARING])
        kind = data.draw(st.sampled_from(moves))
        raw = {"t": str(kind), "text": data.draw(st.sampled_from(GOOD_TEXTS)), "on": True}
        accepted = self.send(holder or data.draw(st.sampled_from(Seat)), raw)
        if holder is None:
            assert accepted is None
        elif kind is M.DONE:
            assert (accepted is M.DONE) == self.said_since_sharing
        elif kind is M.DECLINE:
            assert (accepted is M.DECLINE) == (not self.said_since_ask)
        else:
            assert accepted is kind

    @invariant()
    def one_floor_holder_at_most(self) -> None:
        """In an active phase one seat holds the floor and the other listens; else neither does."""
        state = self.session.state
        not_listening = [seat for seat in Seat if not state.listening(seat)]
        if state.phase in ACTIVE_PHASES:
            assert state.floor is not None
            assert not_listening == [state.floor]
        else:
            assert state.floor is None
            assert not_listening == list(Seat)

    @invariant()
    def only_the_floor_holder_may_act(self) -> None:
        """`may` never offers the seat without the floor anything but nod and leave."""
        floor = self.session.floor
        for seat in Seat:
            for kind in IN_ROOM_TYPES:
                if self.session.may(seat, kind) and kind not in (M.NOD, M.LEAVE):
                    assert seat is floor, f"{seat} may {kind} while {floor} holds the floor"

    @invariant()
    def the_mirror_agrees(self) -> None:
        """The session that only observed the events has the same state and allows the same."""
        assert snapshot(self.mirror) == snapshot(self.session)
        for seat in Seat:
            for kind in IN_ROOM_TYPES:
                assert self.mirror.may(seat, kind) == self.session.may(seat, kind)

    @invariant()
    def seq_has_no_gaps(self) -> None:
        assert [event.seq for event in self.log] == list(range(1, len(self.log) + 1))

    def teardown(self) -> None:
        """Replaying the whole log into a fresh session gives the same room."""
        replayed = Session()
        for event in self.log:
            replayed.observe(event)
        assert snapshot(replayed) == snapshot(self.session)


Room.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,
    database=None,
)
TestRoom = Room.TestCase
