"""Letters rooms on the registry by direct calls: the withheld answers, their release, the
threads, `peek` and how long the rooms last (docs/protocol.md, Letters)."""

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import pytest

from server.config import Limits
from server.connection import MemberConnection
from server.limits import AttemptLimits, ConnectionLimits
from server.pgstore import PostgresRoomStore
from server.room import Membership, Room
from server.rooms import RoomRegistry
from server.rows import room_from_row, room_row
from server.store import MemoryRoomStore, RoomNews, RoomStore, Writes
from shared.codec import decode_reply, encode
from shared.errors import ErrorCode, Rejected
from shared.events import Event, Reply, frame_of
from shared.messages import (
    Answer,
    Confirm,
    Hello,
    Leave,
    More,
    Pake,
    Propose,
    Reflect,
    Say,
    Typing,
    Verify,
)
from shared.seats import Mode, Phase, Seat
from tests.server.fakes import MAC, PAKE_MSG, hello_box
from tests.server.test_group_commit import Turns

HOUR = 60 * 60 * 1000
DAY = 24 * HOUR
ROOM_TTL = DAY
LETTERS_TTL = 365 * DAY

QUESTION = b"\x10sealed: what are you looking forward to?"
ANA_SAYS = b"\x11sealed by ana: the first snow, and you visiting"
BEN_SAYS = b"\x12sealed by ben: finishing the boat, finally"
MOVE = b"\x13sealed: {}"


class FrameSender:
    """Keeps every reply as the bytes of its frame, exactly what would go on the wire, and the
    close it was asked for."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.closed: tuple[int, str] | None = None

    def send(self, reply: Reply) -> None:
        self.frames.append(frame_of(reply))

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def take(self) -> list[dict[str, Any]]:
        """Every reply since the last take, decoded from its frame."""
        frames, self.frames = self.frames, []
        return [decode_reply(frame) for frame in frames]


@dataclass
class Letters:
    """A paired letters room: Ana in `a`, Ben in `b`, and what each connection was sent."""

    rooms: RoomRegistry
    ana: Membership
    ana_out: FrameSender
    ana_token: str
    ben: Membership
    ben_out: FrameSender
    ben_token: str
    every_frame: list[bytes]
    """Every frame either sender was ever sent, for looking for a box that must not be there."""

    def take(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """What Ana and Ben were sent since the last take."""
        self.every_frame += self.ana_out.frames + self.ben_out.frames
        return self.ana_out.take(), self.ben_out.take()


class WritesSeen(MemoryRoomStore):
    """Rooms in memory, keeping every event it is handed as the store's rows would (an
    `answer` with its box), and the kinds in each write."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[list[str]] = []
        self.events: list[tuple[Room, Event]] = []

    def write(self, writes: Writes) -> Future[None]:
        self.written.append([str(event.kind) for _, event in writes.events])
        self.events += writes.events
        return super().write(writes)


def registry(store: RoomStore | None = None, loop: Turns | None = None) -> RoomRegistry:
    return RoomRegistry(
        MemoryRoomStore() if store is None else store,
        room_ttl_ms=ROOM_TTL,
        letters_ttl_ms=LETTERS_TTL,
        max_rooms=100,
        max_log_bytes=1024 * 1024,
        loop=loop,
    )


def pair_letters(rooms: RoomRegistry, now: int = 1_000, turns: Turns | None = None) -> Letters:
    """Ana makes a letters room, Ben joins, and both pair with fixed bytes: `proposing`,
    round 1, the log at seq 8, every reply so far taken. With `turns`, each step's batch is
    kept before the next."""

    def settle() -> None:
        if turns is not None:
            turns.settle(rooms)

    ana_out, ben_out = FrameSender(), FrameSender()
    ana = rooms.create(ana_out, now, mode=Mode.LETTERS)
    settle()
    ben = rooms.join(ben_out, ana.room.code, now)
    settle()
    ana_token = ana_out.take()[0]["token"]
    ben_token = ben_out.take()[0]["token"]
    for message in (Pake(msg=PAKE_MSG), Verify(mac=MAC)):
        rooms.act(ana, message, now)
        rooms.act(ben, message, now)
        settle()
    rooms.act(ana, Hello(box=hello_box(Seat.A)), now)
    rooms.act(ben, Hello(box=hello_box(Seat.B)), now)
    settle()
    letters = Letters(rooms, ana, ana_out, ana_token, ben, ben_out, ben_token, [])
    letters.take()
    assert ana.room.session.phase is Phase.PROPOSING
    return letters


def kinds(sent: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(reply["kind"], reply["by"]) for reply in sent]


def ana_proposes_and_answers(letters: Letters, now: int = 2_000) -> None:
    letters.rooms.act(letters.ana, Propose(box=QUESTION), now)
    letters.rooms.act(letters.ana, Answer(box=ANA_SAYS), now + 1)


def test_create_with_letters_makes_a_letters_room_and_every_joined_says_its_mode() -> None:
    """`create` with `mode` sets the room's mode; the `joined` of create, join and resume all
    carry it, and a `create` without one makes a live room that says `live`."""
    rooms = registry()
    letters = pair_letters(rooms)
    assert letters.ana.room.session.mode is Mode.LETTERS
    rooms.drop(letters.ben, 1_500)
    again = FrameSender()
    rooms.resume(again, letters.ana.room.code, letters.ben_token, 0, 1_600)
    assert again.take()[0]["mode"] == "letters"

    made, joined = FrameSender(), FrameSender()
    live = rooms.create(made, 1_700)
    rooms.join(joined, live.room.code, 1_700)
    assert live.room.session.mode is Mode.LIVE
    assert [made.take()[0]["mode"], joined.take()[0]["mode"]] == ["live", "live"]

    made, joined = FrameSender(), FrameSender()
    other = rooms.create(made, 1_800, mode=Mode.LETTERS)
    rooms.join(joined, other.room.code, 1_800)
    assert [made.take()[0]["mode"], joined.take()[0]["mode"]] == ["letters", "letters"]


def test_the_first_answer_reaches_both_without_its_box() -> None:
    """The writer and the partner are told of the first `answer`, and neither frame holds its
    box, nor any key for one: docs/protocol.md, Letters, Withheld until both are in."""
    letters = pair_letters(registry())
    ana_proposes_and_answers(letters)
    to_ana, to_ben = letters.take()
    assert kinds(to_ana) == kinds(to_ben) == [("propose", "a"), ("answer", "a")]
    for told in (to_ana[1], to_ben[1]):
        assert "box" not in told
        assert told["state"]["phase"] == "answering"
    assert not any(ANA_SAYS in frame for frame in letters.every_frame)


def test_no_reply_holds_the_first_answer_before_the_second_then_both_go_out_together() -> None:
    """Before Ben answers, nothing either is sent holds Ana's answer: not the event, not a
    `joined` after a resume from 0, not a `peek`. Ben's answer comes to both with a `reveal`
    of each answer, first answered first, each box byte for byte, in one batch."""
    letters = pair_letters(registry())
    rooms, code = letters.rooms, letters.ana.room.code
    ana_proposes_and_answers(letters)
    rooms.drop(letters.ana, 3_000)
    ana_out = FrameSender()
    letters.ana = rooms.resume(ana_out, code, letters.ana_token, 0, 4_000)
    letters.ana_out = ana_out
    rooms.drop(letters.ben, 5_000)
    ben_out = FrameSender()
    letters.ben = rooms.resume(ben_out, code, letters.ben_token, 0, 6_000)
    letters.ben_out = ben_out
    peeker = FrameSender()
    rooms.peek(peeker, code, letters.ana_token, 0, 6_500)
    rooms.peek(peeker, code, letters.ben_token, 0, 6_600, epoch=1 + letters.ana.room.epoch)
    letters.every_frame += peeker.frames
    letters.take()
    assert not any(ANA_SAYS in frame for frame in letters.every_frame)
    assert letters.ana.room.session.letter.withheld == {Seat.A: ANA_SAYS}

    rooms.act(letters.ben, Answer(box=BEN_SAYS), 7_000)
    to_ana, to_ben = letters.take()
    assert to_ana == to_ben
    assert kinds(to_ana) == [("answer", "b"), ("reveal", "a"), ("reveal", "b")]
    answer, first, second = to_ana
    assert "box" not in answer
    assert (first["box"], second["box"]) == (ANA_SAYS, BEN_SAYS)
    assert [told["seq"] for told in to_ana] == [15, 16, 17]
    assert {told["state"]["phase"] for told in to_ana} == {"revealed"}
    assert letters.ana.room.session.letter.withheld == {}


def test_the_second_answer_and_both_reveals_are_one_write_told_after_it() -> None:
    """On the loop, the second `answer` and its two `reveal`s go to the store in one write, and
    no member is told of the answer before that write is kept."""
    turns = Turns()
    store = WritesSeen()
    letters = pair_letters(registry(store=store, loop=turns), turns=turns)
    ana_proposes_and_answers(letters)
    turns.settle(letters.rooms)
    letters.take()
    store.written.clear()
    letters.rooms.act(letters.ben, Answer(box=BEN_SAYS), 3_000)
    assert letters.take() == ([], []), "nothing told before the batch is kept"
    turns.settle(letters.rooms)
    assert store.written == [["answer", "reveal", "reveal"]]
    to_ana, to_ben = letters.take()
    assert kinds(to_ana) == kinds(to_ben) == [("answer", "b"), ("reveal", "a"), ("reveal", "b")]


def test_each_reflects_the_other_and_says_more_until_both_felt_heard() -> None:
    """Once the answers are out each reflects the other's; Ana says there is more and adds,
    Ben reflects again, both confirm: the letter is done, `proposing` with round 2. The next
    `propose` is refused until then, and `say` before `more`."""
    letters = pair_letters(registry())
    rooms, ana, ben = letters.rooms, letters.ana, letters.ben
    ana_proposes_and_answers(letters)
    rooms.act(ben, Answer(box=BEN_SAYS), 3_000)
    for early, by in ((Propose(box=QUESTION), ana), (Say(box=b"\x14sealed"), ana)):
        with pytest.raises(Rejected) as refused:
            rooms.act(by, early, 3_100)
        assert refused.value.code is ErrorCode.WRONG_PHASE
    moves = [
        (ana, Reflect(box=b"\x15sealed: you want the boat done")),
        (ben, Reflect(box=b"\x16sealed: you want snow and me")),
        (ana, More(box=MOVE)),
        (ana, Say(box=b"\x17sealed: and a quiet new year")),
        (ben, Reflect(box=b"\x18sealed: and quiet")),
        (ben, Confirm(box=MOVE)),
    ]
    for at, (by, move) in enumerate(moves, start=4_000):
        rooms.act(by, move, at)
    with pytest.raises(Rejected) as refused:
        rooms.act(ben, Propose(box=QUESTION), 4_100)
    assert refused.value.code is ErrorCode.WRONG_PHASE
    assert "both felt heard" in refused.value.message
    rooms.act(ana, Confirm(box=MOVE), 4_200)
    to_ana, to_ben = letters.take()
    assert to_ana == to_ben
    assert [kind for kind, _ in kinds(to_ana)][-7:] == [
        "reflect",
        "reflect",
        "more",
        "say",
        "reflect",
        "confirm",
        "confirm",
    ]
    assert to_ana[-1]["state"]["phase"] == "proposing"
    assert to_ana[-1]["state"]["round"] == 2
    rooms.act(ben, Propose(box=b"\x19sealed: the next question"), 4_300)
    assert ben.room.session.phase is Phase.ANSWERING
    assert ben.room.session.asker is Seat.B


def test_a_second_answer_by_the_same_seat_or_one_before_a_question_is_refused() -> None:
    """An answer comes only once a question is open, once per seat a letter."""
    letters = pair_letters(registry())
    with pytest.raises(Rejected) as refused:
        letters.rooms.act(letters.ana, Answer(box=ANA_SAYS), 2_000)
    assert refused.value.code is ErrorCode.WRONG_PHASE
    ana_proposes_and_answers(letters)
    with pytest.raises(Rejected) as refused:
        letters.rooms.act(letters.ana, Answer(box=b"\x1asealed: second thoughts"), 2_500)
    assert refused.value.code is ErrorCode.WRONG_PHASE
    assert len(letters.ana.room.log) == 10


def test_typing_in_letters_is_refused_and_reaches_no_one() -> None:
    """A letters room has no typing indicators: `typing` is `wrong_phase`, and the partner is
    sent nothing, before a question, while answering, and once the answers are out."""
    letters = pair_letters(registry())
    rooms = letters.rooms
    for step in range(3):
        with pytest.raises(Rejected) as refused:
            rooms.act(letters.ana, Typing(on=True), 2_000 + step)
        assert refused.value.code is ErrorCode.WRONG_PHASE
        letters.take()
        if step == 0:
            rooms.act(letters.ana, Propose(box=QUESTION), 2_100)
        elif step == 1:
            rooms.act(letters.ana, Answer(box=ANA_SAYS), 2_200)
            rooms.act(letters.ben, Answer(box=BEN_SAYS), 2_300)
        letters.take()
    assert letters.ana_out.frames == letters.ben_out.frames == []
    assert not any(b"typing" in frame for frame in letters.every_frame)


def test_a_peek_is_answered_as_a_resume_and_takes_nothing() -> None:
    """`peek` gets the `joined` a `resume` would get (the events after `after`, or the whole
    log with `resync`), yet records nothing, changes no presence, leaves the seat's own
    connection open and seated, and is sent nothing after it."""
    letters = pair_letters(registry())
    rooms, room = letters.rooms, letters.ana.room
    ana_proposes_and_answers(letters)
    letters.take()
    log, last_active, online = len(room.log), room.last_active, dict(room.session.online)
    peeker = FrameSender()
    rooms.peek(peeker, room.code, letters.ana_token, 8, 9_000)
    rooms.peek(peeker, room.code, letters.ben_token, 10, 9_001, epoch=room.epoch)
    rooms.peek(peeker, room.code, letters.ben_token, 3, 9_002, epoch=room.epoch + 1)
    rooms.peek(peeker, room.code, letters.ben_token, 11, 9_003)
    first, current, other_epoch, past_head = peeker.take()
    assert (first["seat"], first["mode"], first["resync"]) == ("a", "letters", False)
    assert [told["seq"] for told in first["events"]] == [9, 10]
    assert first["state"] == room.session.state.to_wire()
    assert (current["seat"], current["events"], current["resync"]) == ("b", [], False)
    for whole in (other_epoch, past_head):
        assert whole["resync"] is True
        assert [told["seq"] for told in whole["events"]] == list(range(1, 11))
    assert (len(room.log), room.last_active, room.session.online) == (log, last_active, online)
    assert letters.ana.current
    assert letters.ben.current
    assert letters.ana_out.closed is letters.ben_out.closed is None
    assert letters.take() == ([], []), "a peek tells the members nothing"
    rooms.act(letters.ben, Answer(box=BEN_SAYS), 9_100)
    assert peeker.frames == [], "no events follow a peek"


def test_a_peek_with_a_wrong_token_or_code_is_refused() -> None:
    """A `peek` proves the seat as a `resume` does: `bad_token`, `no_room`."""
    letters = pair_letters(registry())
    for code, token, expected in (
        (letters.ana.room.code, "not-a-token", ErrorCode.BAD_TOKEN),
        ("ZZZZZ-ZZZZZ", letters.ana_token, ErrorCode.NO_ROOM),
    ):
        with pytest.raises(Rejected) as refused:
            letters.rooms.peek(FrameSender(), code, token, 0, 2_000)
        assert refused.value.code is expected


def test_a_peeking_connection_stays_in_the_lobby_and_counts_as_a_resume() -> None:
    """Over a connection, a `peek` is answered `joined` and the connection stays out of the
    room, so its next lobby message is taken (not `in_room`); and peeks draw on the resume
    allowance, so that past it a `peek` is `rate_limited` as a `resume` would be."""
    letters = pair_letters(registry())
    limits = Limits()
    sender = FrameSender()
    connection = MemberConnection(
        sender,
        "192.0.2.7",
        letters.rooms,
        AttemptLimits(limits),
        ConnectionLimits(limits),
    )
    peek = {"t": "peek", "code": letters.ana.room.code, "token": letters.ana_token, "after": 8}
    answers = []
    for at in range(limits.resumes_per_seat + 1):
        connection.receive(encode(peek), 2_000 + at)
        answers.append(sender.take()[0])
    assert connection.membership is None
    assert [answer["t"] for answer in answers[:-1]] == ["joined"] * limits.resumes_per_seat
    assert (answers[-1]["t"], answers[-1]["code"]) == ("error", "rate_limited")
    assert len(letters.ana.room.log) == 8
    assert letters.ana.current


def test_a_letters_room_lasts_its_own_ttl_and_a_live_one_the_room_ttl() -> None:
    """Idle past the room TTL a live room expires and a letters room stays; a letters room
    expires only once idle for the letters TTL."""
    rooms = registry()
    letters = pair_letters(rooms, now=0)
    ana_proposes_and_answers(letters, now=1_000)
    live = rooms.create(FrameSender(), 1_001)
    assert rooms.sweep(1_001 + ROOM_TTL) == [live.room]
    assert rooms.sweep(1_001 + LETTERS_TTL - 1) == []
    assert rooms.sweep(1_001 + LETTERS_TTL) == [letters.ana.room]
    assert letters.ben_out.closed is not None


def test_an_ended_letters_room_is_swept_after_the_room_ttl() -> None:
    """`leave` ends the letters; the ended room is kept one room TTL, for the partner's next
    visit to learn it ended, then swept."""
    rooms = registry()
    letters = pair_letters(rooms, now=0)
    rooms.act(letters.ana, Leave(box=MOVE), 1_000)
    assert letters.ana.room.session.phase is Phase.ENDED
    assert rooms.sweep(1_000 + ROOM_TTL - 1) == []
    assert rooms.sweep(1_000 + ROOM_TTL) == [letters.ana.room]


def news_from_elsewhere(store: WritesSeen, room: Room, after: int) -> RoomNews:
    """What PostgreSQL would give back of a room another server holds: its row read back as
    a row (so no letter), its seats, and its events after `after` as their rows keep them,
    an `answer`'s box included."""
    row = room_from_row(room_row(room))
    row.token_hashes = dict(room.token_hashes)
    events = tuple(event for kept, event in store.events if kept is room and event.seq > after)
    return RoomNews(room.key, row, events)


@pytest.mark.parametrize("held_before", [False, True])
def test_a_letter_begun_on_another_server_is_released_here(held_before: bool) -> None:
    """Through a shared store: Ana proposes and answers on another server; this one takes the
    news (the whole room, or the events past what it held) and withholds her box from the
    answer's row, so that Ben's answer here releases both."""
    theirs_store = WritesSeen()
    theirs = pair_letters(registry(store=theirs_store))
    room = theirs.ana.room
    here = registry()
    if held_before:
        assert here.catch_up([news_from_elsewhere(theirs_store, room, 0)], 1_500) == []
    ana_proposes_and_answers(theirs)
    after = len(room.log) - 2 if held_before else 0
    assert here.catch_up([news_from_elsewhere(theirs_store, room, after)], 2_500) == []
    held = here._store.get(room.key)
    assert held is not None
    assert held is not room
    assert held.session.letter.withheld == {Seat.A: ANA_SAYS}
    ben_out = FrameSender()
    ben = here.resume(ben_out, room.code, theirs.ben_token, 10, 3_000)
    here.act(ben, Answer(box=BEN_SAYS), 3_001)
    told = ben_out.take()[1:]
    assert [(e["kind"], e.get("box")) for e in told][-3:] == [
        ("answer", None),
        ("reveal", ANA_SAYS),
        ("reveal", BEN_SAYS),
    ]


def test_a_peek_of_a_room_made_on_another_server_reads_it_from_the_database(
    postgres_url: str,
) -> None:
    """On PostgreSQL, a `peek` of a room this server has not heard of yet is not `no_room`,
    and one past the log this server holds is not a resync: each reads the room from the
    database first, as `resume` does, and is answered `joined` in letters mode, the peeking
    connection still out of the room and nothing recorded."""
    turns = Turns()
    here_store = PostgresRoomStore.open(postgres_url)
    there_store = PostgresRoomStore.open(postgres_url)
    try:
        here = registry(store=here_store, loop=turns)
        made = FrameSender()
        there_rooms = registry(store=there_store)
        there = there_rooms.create(made, 1_000, mode=Mode.LETTERS)
        token = made.take()[0]["token"]
        assert here_store.get(there.room.key) is None, "this server has not heard of it"
        sender = FrameSender()
        limits = Limits()
        connection = MemberConnection(
            sender, "192.0.2.8", here, AttemptLimits(limits), ConnectionLimits(limits)
        )
        peek = {"t": "peek", "code": there.room.code, "token": token, "after": 0}
        connection.receive(encode(peek), 2_000)
        while not sender.frames:
            turns.wait()
            turns.settle(here)
        (joined,) = sender.take()
        assert (joined["t"], joined["mode"], joined["seat"]) == ("joined", "letters", "a")
        assert [event["seq"] for event in joined["events"]] == [1]
        # Moved on over there, where this server has not caught up: behind, it reads again
        # rather than resync a place that is in the log.
        there_rooms.act(there, Pake(msg=PAKE_MSG), 2_500)
        connection.receive(encode(peek | {"after": 2}), 3_000)
        while not sender.frames:
            turns.wait()
            turns.settle(here)
        (behind,) = sender.take()
        assert (behind["t"], behind["events"], behind["resync"]) == ("joined", [], False)
        assert connection.membership is None
        assert len(there.room.log) == 2
    finally:
        here_store.close()
        there_store.close()
