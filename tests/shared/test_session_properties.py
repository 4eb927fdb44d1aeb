"""Random message sequences from both seats, pairing included, checked against the contract."""

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from shared.codec import decode_reply, encode
from shared.errors import Rejected
from shared.events import Event, parse_reply
from shared.intake import admit
from shared.messages import PAIRING_TYPES, MessageType
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

PAIRING_STEPS = (M.PAKE, M.VERIFY, M.HELLO)
"""docs/protocol.md, Pairing, The steps: each seat's steps, in order, once each."""

GOOD_BOXES = [b"\x00" * 40, bytes(range(256)), b"sealed \xff\xfe"]
boxes = st.one_of(
    st.sampled_from(GOOD_BOXES), st.binary(max_size=8), st.text(max_size=4), st.none()
)
ids = st.one_of(st.integers(min_value=-2, max_value=2**64 - 1), st.sampled_from(["7", True, 1.5]))
FIELDS: dict[MessageType, dict[str, st.SearchStrategy[Any]]] = {
    M.PAKE: {"msg": st.one_of(st.just(b"\x01" * 33), boxes)},
    M.VERIFY: {"mac": st.one_of(st.just(b"m" * 32), st.binary(min_size=31, max_size=33), boxes)},
    M.HELLO: {"box": boxes},
    M.ASK: {"box": boxes},
    M.SAY: {"box": boxes},
    M.REFLECT: {"box": boxes},
    M.NOTE: {"box": boxes},
    M.NOD: {"kind": st.sampled_from(["heart", "hear", "time", "wave"])},
    M.TYPING: {"on": st.one_of(st.booleans(), st.just(1))},
}
GOOD: dict[MessageType, dict[str, Any]] = {
    M.PAKE: {"msg": b"\x01" * 33},
    M.VERIFY: {"mac": b"m" * 32},
    M.HELLO: {"box": b"sealed name"},
}


def well_formed(kind: MessageType) -> st.SearchStrategy[dict[str, Any]]:
    """Maps of `kind` with every required key, values mostly but not always valid."""
    return st.fixed_dictionaries(
        {"t": st.just(str(kind)), **FIELDS.get(kind, {})},
        optional={"id": ids, "text": st.text(max_size=4), "name": st.text(max_size=4)},
    )


junk_values = st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=4), st.booleans())
any_message = st.one_of(
    st.sampled_from(IN_ROOM_TYPES).flatmap(well_formed),
    st.sampled_from(IN_ROOM_TYPES).flatmap(well_formed),
    st.sampled_from(IN_ROOM_TYPES).flatmap(well_formed),
    st.sampled_from([M.CREATE, M.JOIN, M.RESUME]).map(lambda kind: VALID[kind]),
    st.fixed_dictionaries({"t": st.text(max_size=6)}),
    st.dictionaries(
        st.sampled_from(["t", "box", "msg", "mac", "kind", "on", "id"]), junk_values, max_size=4
    ),
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
        # ... and of the pairing: which steps each seat has had accepted.
        self.seats = [A]
        self.steps: dict[Seat, list[MessageType]] = {A: [], B: []}
        self.record(self.session.seat_member(A))

    def record(self, change: Change) -> None:
        """Number `change` as the room would, send it over the wire, and let the mirror follow."""
        sent = Event(
            seq=len(self.log) + 1,
            at=1_764_158_400_000 + 250 * len(self.log),
            kind=change.kind,
            by=change.by,
            state=self.session.state,
            msg=change.msg,
            mac=change.mac,
            box=change.box,
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
            assert kind in (M.NOD, M.NOTE, M.LEAVE), f"{kind} accepted from the listener"
        if kind in PAIRING_STEPS or kind is M.MISMATCH:
            self.follow_pairing(seat, kind, before.phase)
        else:
            assert before.phase is not Phase.WAITING or kind is M.LEAVE, f"{kind} while pairing"
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

    def next_step(self, seat: Seat) -> MessageType | None:
        """The contract's next pairing step for `seat`, or None if it must wait or is done."""
        done = self.steps[seat]
        if len(done) == len(PAIRING_STEPS):
            return None
        step = PAIRING_STEPS[len(done)]
        # Each step after the first waits for the partner's step before it.
        if done and len(self.steps[seat.partner]) < len(done):
            return None
        return step

    def follow_pairing(self, seat: Seat, kind: MessageType, phase: Phase) -> None:
        """An accepted pairing message was the seat's next step (or a mismatch after both
        pakes), while waiting; the last `hello` starts round 1, a mismatch ends the room."""
        assert phase is Phase.WAITING, f"{kind} accepted in {phase}"
        if kind is M.MISMATCH:
            assert all(self.steps[either] for either in Seat), "mismatch before both pakes"
            assert self.session.phase is Phase.ENDED
            return
        assert kind is self.next_step(seat), f"{kind} from {seat} after {self.steps}"
        self.steps[seat].append(kind)
        if all(len(self.steps[either]) == len(PAIRING_STEPS) for either in Seat):
            assert (self.session.phase, self.session.round, self.session.floor) == (
                Phase.ASKING,
                1,
                A,
            )
        else:
            assert self.session.phase is Phase.WAITING

    def follow_says(self, kind: MessageType) -> None:
        if kind is M.SAY:
            self.said_since_sharing = self.said_since_ask = True
        elif kind is M.ASK:
            self.said_since_sharing = self.said_since_ask = False
        elif kind is M.MORE:
            self.said_since_sharing = False

    @precondition(lambda self: self.session.phase is Phase.WAITING and B not in self.seats)
    @rule()
    def partner_joins(self) -> None:
        self.record(self.session.seat_member(B))
        self.seats.append(B)
        assert (self.session.phase, self.session.floor) == (Phase.WAITING, None)

    @precondition(lambda self: self.session.phase is Phase.WAITING and B in self.seats)
    @rule(data=st.data())
    def pairing_runs_to_the_end(self, data: st.DataObject) -> None:
        """Both seats send their remaining steps, interleaved at random: each is accepted."""
        while (ready := [seat for seat in Seat if self.next_step(seat) is not None]) != []:
            seat = data.draw(st.sampled_from(ready))
            kind = self.next_step(seat)
            assert kind is not None
            assert self.send(seat, {"t": str(kind), **GOOD[kind]}) is kind
        assert (self.session.phase, self.session.floor) == (Phase.ASKING, A)

    @rule(data=st.data())
    def pairing_step(self, data: st.DataObject) -> None:
        """A seated member sends a pairing step: accepted exactly when it is that seat's next
        step by the contract, while waiting; anything else is refused."""
        seat = data.draw(st.sampled_from(self.seats))
        expected = self.next_step(seat)
        kind = data.draw(
            st.sampled_from(PAIRING_STEPS)
            if expected is None
            else st.one_of(st.just(expected), st.sampled_from(PAIRING_STEPS))
        )
        allowed = self.session.phase is Phase.WAITING and kind is expected
        accepted = self.send(seat, {"t": str(kind), **GOOD[kind]})
        assert (accepted is kind) == allowed, (kind, expected, self.steps)

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

    @rule(data=st.data(), raw=any_message)
    def anyone_sends_anything(self, data: st.DataObject, raw: dict[str, Any]) -> None:
        self.send(data.draw(st.sampled_from(self.seats)), raw)

    @rule(data=st.data())
    def floor_holder_moves(self, data: st.DataObject) -> None:
        """A move the contract allows the floor holder now is accepted, as the say counts allow.

        While waiting or ended there is no floor: a move of any phase is refused.
        """
        phase, holder = self.session.phase, self.session.floor
        moves = CONTRACT_FLOOR_MOVES.get(phase, CONTRACT_FLOOR_MOVES[Phase.SHARING])
        kind = data.draw(st.sampled_from(moves))
        box = data.draw(st.sampled_from(GOOD_BOXES))
        raw = {"t": str(kind), "box": box, "on": True}
        accepted = self.send(holder or data.draw(st.sampled_from(self.seats)), raw)
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
        """`may` never offers the seat without the floor anything but nod, note and leave, and the
        pairing steps while waiting."""
        floor = self.session.floor
        free = {M.NOD, M.NOTE, M.LEAVE} | (
            PAIRING_TYPES if self.session.phase is Phase.WAITING else set()
        )
        for seat in Seat:
            for kind in IN_ROOM_TYPES:
                if self.session.may(seat, kind) and kind not in free:
                    assert seat is floor, f"{seat} may {kind} while {floor} holds the floor"

    @invariant()
    def the_mirror_agrees(self) -> None:
        """The session that only observed the events has the same state and allows the same."""
        assert snapshot(self.mirror) == snapshot(self.session)
        for seat in Seat:
            for kind in IN_ROOM_TYPES:
                assert self.mirror.may(seat, kind) == self.session.may(seat, kind)

    @invariant()
    def waiting_means_pairing(self) -> None:
        """The room waits exactly while the pairing is unfinished; only then are pairing steps
        offered, and `may` offers a seat its next step by the contract and no other."""
        finished = all(len(self.steps[seat]) == len(PAIRING_STEPS) for seat in Seat)
        if self.session.phase is Phase.WAITING:
            assert not finished
        for seat in self.seats:
            waiting = self.session.phase is Phase.WAITING
            for kind in PAIRING_STEPS:
                assert self.session.may(seat, kind) == (waiting and kind is self.next_step(seat))
            assert self.session.may(seat, M.MISMATCH) == (
                waiting and all(self.steps[either] for either in Seat)
            )

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
