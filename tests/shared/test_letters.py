"""Every transition and refusal of docs/protocol.md, Letters, through `Session` and `Letter`."""

from collections.abc import Callable

import pytest

from shared.errors import ErrorCode, Rejected
from shared.events import Event, EventKind, RoomState
from shared.letters import Letter, Thread
from shared.messages import MessageType
from shared.seats import LETTER_PHASES, Mode, Phase, Seat
from shared.session import Change, Session
from tests.shared.rooms import IN_ROOM_TYPES, PAIRING, A, B, hello, message

M = MessageType
LETTER_MOVES = {M.PROPOSE, M.ANSWER, M.REFLECT, M.CONFIRM, M.MORE, M.SAY, M.LEAVE}
"""Every move a letters room takes once paired: the rest are not part of letters."""


def box(what: str) -> bytes:
    return f"sealed {what}".encode()


def paired() -> Session:
    """A letters room whose two seats have paired: `proposing`, letter 1."""
    session = Session(mode=Mode.LETTERS)
    session.seat_member(A)
    session.seat_member(B)
    for seat, kind in PAIRING:
        session.apply(seat, hello(seat) if kind is M.HELLO else message(kind))
    return session


def send(session: Session, seat: Seat, kind: MessageType, what: str | None = None) -> Change:
    """`seat` sends `kind`, with a box naming `what` when the move carries words."""
    overrides = {"box": box(what)} if what is not None else {}
    change = session.apply(seat, message(kind, **overrides))
    assert change is not None
    return change


def refused(session: Session, seat: Seat, kind: MessageType) -> str:
    """`seat`'s `kind` is refused with `wrong_phase` and changes nothing; the reason given."""
    before = session.copy()
    with pytest.raises(Rejected) as refusal:
        session.apply(seat, message(kind))
    assert refusal.value.code is ErrorCode.WRONG_PHASE
    assert session == before
    assert not session.may(seat, kind)
    return str(refusal.value)


def releases(session: Session) -> list[Change]:
    """Every `reveal` the server records now, taken."""
    out = []
    while (change := session.release()) is not None:
        out.append(change)
    return out


def answered_by_a() -> Session:
    """`a` proposed and answered; `b` has not."""
    session = paired()
    send(session, A, M.PROPOSE, "question")
    send(session, A, M.ANSWER, "answer of a")
    return session


def revealed() -> Session:
    """Both answered (`a` first) and both answers released."""
    session = answered_by_a()
    send(session, B, M.ANSWER, "answer of b")
    releases(session)
    return session


def test_the_second_hello_of_a_letters_room_opens_proposing_for_letter_1() -> None:
    """Pairing is the same six steps; after it a letters room proposes, a live room asks."""
    session = paired()
    assert (session.phase, session.round, session.floor) == (Phase.PROPOSING, 1, None)
    assert session.letter == Letter()


@pytest.mark.parametrize("seat", [A, B])
def test_either_seat_may_propose_and_becomes_the_asker(seat: Seat) -> None:
    """`proposing` → `answering` on `propose` from either seat; the change carries its box."""
    session = paired()
    assert session.may(seat, M.PROPOSE)
    change = send(session, seat, M.PROPOSE, "question")
    assert change == Change(EventKind.PROPOSE, seat, box=box("question"))
    assert (session.phase, session.asker, session.floor) == (Phase.ANSWERING, seat, None)
    assert session.letter.waiting_on(session.phase) == {A, B}


def test_a_second_proposal_is_refused_while_a_question_is_open() -> None:
    """The partner's racing `propose` meets `answering` and is refused, saying why."""
    session = paired()
    send(session, A, M.PROPOSE, "question")
    assert "already open" in refused(session, B, M.PROPOSE)


def test_an_answer_is_kept_withheld_and_nothing_is_released_before_both() -> None:
    """The first `answer` is recorded with its box, kept by the server, and releases nothing."""
    session = paired()
    send(session, A, M.PROPOSE, "question")
    change = send(session, A, M.ANSWER, "answer of a")
    assert change == Change(EventKind.ANSWER, A, box=box("answer of a"))
    assert session.phase is Phase.ANSWERING
    assert session.letter.withheld == {A: box("answer of a")}
    assert session.release() is None
    assert session.letter.waiting_on(session.phase) == {B}


def test_a_seat_answers_once_and_the_partner_still_may() -> None:
    """A second `answer` from the same seat is refused; the partner's is still taken."""
    session = answered_by_a()
    assert "sealed until your partner answers" in refused(session, A, M.ANSWER)
    assert session.may(B, M.ANSWER)


def test_the_second_answer_reveals_both_first_answered_first() -> None:
    """The second `answer` makes the phase `revealed`, and two `reveal`s follow, by each writer,
    with that writer's box, first answered first; then nothing more is due."""
    session = paired()
    send(session, B, M.PROPOSE, "question")
    send(session, B, M.ANSWER, "answer of b")
    send(session, A, M.ANSWER, "answer of a")
    assert session.phase is Phase.REVEALED
    assert releases(session) == [
        Change(EventKind.REVEAL, B, box=box("answer of b")),
        Change(EventKind.REVEAL, A, box=box("answer of a")),
    ]
    assert session.letter.withheld == {}
    assert session.letter.threads == {A: Thread.REFLECT, B: Thread.REFLECT}
    assert session.release() is None


def test_before_the_reveal_no_reflection_or_word_is_taken() -> None:
    """In `answering` the moves of the reveal are refused: nobody has read anything yet."""
    session = answered_by_a()
    for seat in (A, B):
        for kind in (M.REFLECT, M.CONFIRM, M.MORE, M.SAY):
            assert "not out yet" in refused(session, seat, kind)


def test_no_answer_before_a_question_and_none_after_the_reveal() -> None:
    """`answer` needs an open question, and is refused once both answers are out."""
    assert "no question is open" in refused(paired(), A, M.ANSWER)
    assert "out already" in refused(revealed(), A, M.ANSWER)


def test_each_seat_reflects_the_partners_answer_once_per_turn() -> None:
    """`reflect` by a seat moves the partner's thread to `confirm`; a second is refused."""
    session = revealed()
    send(session, A, M.REFLECT, "what a heard")
    assert session.letter.threads == {B: Thread.CONFIRM, A: Thread.REFLECT}
    assert "not waiting for a reflection" in refused(session, A, M.REFLECT)
    assert session.letter.waiting_on(session.phase) == {B}


def test_a_writer_confirms_only_a_reflection_of_their_own_answer() -> None:
    """`confirm` and `more` wait for the partner's reflection of one's own answer."""
    session = revealed()
    send(session, A, M.REFLECT, "what a heard")
    assert "no reflection waiting" in refused(session, A, M.CONFIRM)
    assert "no reflection waiting" in refused(session, A, M.MORE)
    send(session, B, M.CONFIRM)
    assert session.letter.threads[B] is Thread.HEARD
    assert session.phase is Phase.REVEALED


def test_more_then_an_addition_then_the_reflection_round_repeats() -> None:
    """`more` moves the writer's thread to `add`; their `say` back to `reflect`; then the
    partner reflects again and the writer may confirm."""
    session = revealed()
    send(session, B, M.REFLECT, "what b heard")
    assert "before you add" in refused(session, A, M.SAY)
    send(session, A, M.MORE)
    assert session.letter.threads[A] is Thread.ADD
    assert session.letter.waiting_on(session.phase) == {A}
    assert refused(session, B, M.REFLECT)
    send(session, A, M.SAY, "more of a's answer")
    assert session.letter.threads[A] is Thread.REFLECT
    send(session, B, M.REFLECT, "what b heard, again")
    send(session, A, M.CONFIRM)
    assert session.letter.threads[A] is Thread.HEARD


def test_the_next_question_opens_only_when_both_felt_heard() -> None:
    """One writer's `confirm` leaves the letter open; the second makes it `proposing`, with
    the letter's number one higher."""
    session = revealed()
    send(session, A, M.REFLECT, "what a heard")
    send(session, B, M.REFLECT, "what b heard")
    send(session, A, M.CONFIRM)
    assert "still being heard" in refused(session, B, M.PROPOSE)
    assert "still being heard" in refused(session, A, M.PROPOSE)
    send(session, B, M.CONFIRM)
    assert (session.phase, session.round) == (Phase.PROPOSING, 2)
    send(session, B, M.PROPOSE, "next question")
    assert session.letter == Letter()
    assert (session.phase, session.asker) == (Phase.ANSWERING, B)


@pytest.mark.parametrize(
    "kind", sorted(set(IN_ROOM_TYPES) - LETTER_MOVES - {M.PAKE, M.VERIFY, M.HELLO, M.MISMATCH})
)
@pytest.mark.parametrize("build", [paired, answered_by_a, revealed])
def test_the_live_moves_are_not_part_of_letters(
    kind: MessageType, build: Callable[[], Session]
) -> None:
    """`typing`, `nod`, `note`, `ask`, `handover`, `done` and `decline` are refused in every
    letters phase with `wrong_phase`, never `listening`."""
    session = build()
    for seat in (A, B):
        assert "not part of letters" in refused(session, seat, kind)


@pytest.mark.parametrize("build", [paired, answered_by_a, revealed])
@pytest.mark.parametrize("seat", [A, B])
def test_leave_ends_the_letters_from_any_phase(build: Callable[[], Session], seat: Seat) -> None:
    """`leave` is taken in every letters phase and ends the room; after it, everything is
    `ended`."""
    session = build()
    change = send(session, seat, M.LEAVE)
    assert change.kind is EventKind.LEFT
    assert session.phase is Phase.ENDED
    with pytest.raises(Rejected) as refusal:
        session.apply(seat.partner, message(M.ANSWER))
    assert refusal.value.code is ErrorCode.ENDED


def test_presence_is_kept_but_changes_no_letter() -> None:
    """`away` and `back` keep who is online, in a letters phase as in a live one."""
    session = answered_by_a()
    assert session.presence(A, online=False) == Change(EventKind.AWAY, A)
    assert session.online[A] is False
    assert session.phase is Phase.ANSWERING
    assert session.letter.answered == (A,)
    session.presence(A, online=True)
    assert session.online[A] is True


def test_a_live_room_takes_no_letter_moves() -> None:
    """A live room's pairing still starts `asking`, and `propose` and `answer` do not fit it."""
    session = Session()
    session.seat_member(A)
    session.seat_member(B)
    for seat, kind in PAIRING:
        session.apply(seat, hello(seat) if kind is M.HELLO else message(kind))
    assert session.phase is Phase.ASKING
    for kind in (M.PROPOSE, M.ANSWER):
        with pytest.raises(Rejected):
            session.apply(A, message(kind))


def test_a_client_following_the_events_sees_what_the_server_has_but_the_boxes() -> None:
    """`observe` of each event (an `answer` without its box, as it is sent) gives the client the
    server's phase, answers and threads, but never a withheld box."""
    server = paired()
    client = Session(mode=Mode.LETTERS)
    client.observe(_event(1, Change(EventKind.HELLO, B), server))
    moves = [(A, M.PROPOSE, "q"), (B, M.ANSWER, "b"), (A, M.ANSWER, "a"), (B, M.REFLECT, "r")]
    seq = 2
    for seat, kind, what in moves:
        change = send(server, seat, kind, what)
        sent = change if change.kind is not EventKind.ANSWER else Change(change.kind, seat)
        client.observe(_event(seq, sent, server))
        seq += 1
        if kind is M.ANSWER:
            assert client.letter.withheld == {}
        for release in releases(server):
            client.observe(_event(seq, release, server))
            seq += 1
    assert client.phase is server.phase is Phase.REVEALED
    assert client.letter.answered == server.letter.answered == (B, A)
    assert client.letter.threads == server.letter.threads
    assert client.letter.waiting_on(client.phase) == {A}


def test_a_store_reading_the_log_back_recalls_the_withheld_answer() -> None:
    """`recall` of each event read back, with the answer's box as the store keeps it, brings
    back the open letter, so the reveal after a restart carries the same box."""
    server = answered_by_a()
    restored = Session(
        phase=server.phase, round=server.round, asker=server.asker, mode=Mode.LETTERS
    )
    restored.recall(EventKind.PROPOSE, A, box("question"))
    restored.recall(EventKind.ANSWER, A, box("answer of a"))
    assert restored.letter == server.letter
    send(restored, B, M.ANSWER, "answer of b")
    assert [c.box for c in releases(restored)] == [box("answer of a"), box("answer of b")]


def test_letter_phases_have_no_floor_and_nobody_is_listening() -> None:
    """In every letters phase `floor` is nil and neither seat is in listening mode."""
    for phase in LETTER_PHASES:
        state = RoomState(phase, 1, A, {A: None, B: None}, {A: True, B: True})
        assert state.floor is None
        assert not state.listening(A)
        assert not state.listening(B)


def _event(seq: int, change: Change, session: Session) -> Event:
    return Event(seq, seq, change.kind, change.by, session.state, box=change.box)
