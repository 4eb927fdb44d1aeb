"""The room registry by direct calls: a fake clock and recording senders, no sockets."""

import logging

import pytest

from server.room import token_hash
from server.rooms import BURNED, RoomRegistry
from server.store import MemoryRoomStore
from shared.errors import ErrorCode, Rejected
from shared.messages import Ask, Hello, Leave, Mismatch, Nod, Pake, Say, Typing, Verify
from shared.seats import NodKind, Phase, Seat
from shared.wire import CloseCode
from tests.server.fakes import (
    MAC,
    PAKE_MSG,
    RecordingSender,
    hello_box,
    join_pair,
    new_registry,
    seat_pair,
)

PAIRED = ["joined", "joined", "pake", "pake", "verify", "verify", "hello", "hello"]
"""The log of a room `seat_pair` made: docs/protocol.md, Pairing."""


def test_create_records_joined_seq_1_and_replies_with_it_last() -> None:
    """`create` answers `joined` for seat a whose log is one `joined` event, seq 1, at now."""
    rooms = new_registry()
    out = RecordingSender()
    rooms.create(out, 5_000)
    (reply,) = out.take()
    assert reply["t"] == "joined"
    assert reply["seat"] == "a"
    assert [(e["seq"], e["kind"], e["by"], e["at"]) for e in reply["events"]] == [
        (1, "joined", "a", 5_000)
    ]
    assert reply["state"]["phase"] == "waiting"


def test_join_tells_the_creator_and_replies_to_the_joiner_only_once() -> None:
    """The partner hears `joined` by b as an event; the joiner gets it only inside `joined`."""
    rooms = new_registry()
    a_out, b_out = RecordingSender(), RecordingSender()
    a = rooms.create(a_out, 1)
    a_out.take()
    rooms.join(b_out, a.room.code, 2)
    assert [m["t"] for m in b_out.sent] == ["joined"]
    assert [e["seq"] for e in b_out.sent[0]["events"]] == [1, 2]
    assert [(m["t"], m["seq"], m["kind"], m["by"]) for m in a_out.sent] == [
        ("event", 2, "joined", "b")
    ]


def test_tokens_are_long_and_only_their_hash_is_kept() -> None:
    """Tokens have ≥ 22 characters, and the room keeps their SHA-256, never the token."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    room = pair.a.room
    assert len(pair.a_token) >= 22
    assert pair.a_token != pair.b_token
    assert room.token_hashes == {Seat.A: token_hash(pair.a_token), Seat.B: token_hash(pair.b_token)}
    kept = repr(vars(room))
    assert pair.a_token not in kept
    assert pair.b_token not in kept


def test_events_go_to_both_and_seq_grows_by_one() -> None:
    """Every accepted change reaches both members, numbered one past the last."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.act(pair.a, Ask(box=b"sealed ask"), 3_000)
    rooms.act(pair.a, Nod(kind=NodKind.HEART), 3_001)
    rooms.act(pair.b, Say(box=b"sealed say"), 3_002)
    for out in (pair.a_out, pair.b_out):
        assert [(m["seq"], m["kind"], m["at"]) for m in out.take()] == [
            (9, "ask", 3_000),
            (10, "nod", 3_001),
            (11, "say", 3_002),
        ]


def test_typing_goes_to_the_partner_alone() -> None:
    """`typing` from the floor holder reaches the partner, not the sender, and logs nothing."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.act(pair.a, Typing(on=True), 3_000)
    assert pair.b_out.take() == [{"t": "typing", "by": "a", "on": True}]
    assert pair.a_out.take() == []
    assert len(pair.a.room.log) == 8


def test_drop_records_away_and_resume_records_back_after() -> None:
    """A drop records `away`; `resume` with `after` gets only later events, `back` last."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.act(pair.a, Ask(box=b"sealed ask"), 2_000)
    rooms.drop(pair.b, 3_000)
    assert [(m["kind"], m["by"], m["state"]["online"]["b"]) for m in pair.a_out.take()] == [
        ("ask", "a", True),
        ("away", "b", False),
    ]
    assert pair.a.room.session.floor is Seat.B
    again = RecordingSender()
    rooms.resume(again, pair.a.room.code, pair.b_token, 9, 4_000)
    (reply,) = again.take()
    assert [(e["seq"], e["kind"]) for e in reply["events"]] == [(10, "away"), (11, "back")]
    assert reply["token"] == pair.b_token
    assert [(m["seq"], m["kind"]) for m in pair.a_out.take()] == [(11, "back")]


def test_takeover_closes_the_old_connection_with_4001_and_records_nothing() -> None:
    """A resume while the seat's connection is open closes it with 4001, no away or back."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    again = RecordingSender()
    member = rooms.resume(again, pair.a.room.code, pair.b_token, 0, 2_000)
    assert pair.b_out.closed is not None
    assert pair.b_out.closed[0] == CloseCode.TAKEN_OVER
    assert len(pair.a.room.log) == 8
    assert pair.a_out.take() == []
    rooms.drop(pair.b, 2_500)
    rooms.act(pair.b, Leave(), 2_600)
    assert len(pair.a.room.log) == 8, "the old connection can neither drop nor act"
    assert member.current


def test_resume_rejects_a_wrong_token_and_an_unknown_code() -> None:
    """A wrong token is `bad_token`; an unknown code is `no_room`."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    with pytest.raises(Rejected) as wrong:
        rooms.resume(RecordingSender(), pair.a.room.code, pair.a_token + "x", 0, 2_000)
    assert wrong.value.code is ErrorCode.BAD_TOKEN
    with pytest.raises(Rejected) as unknown:
        rooms.resume(RecordingSender(), "00000-00000", pair.a_token, 0, 2_000)
    assert unknown.value.code is ErrorCode.NO_ROOM


def test_leave_ends_the_room_and_closes_only_the_leaver() -> None:
    """`left` goes to both, the leaver is closed with 1000, and a later drop records no away."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.act(pair.a, Leave(), 2_000)
    assert [m["kind"] for m in pair.a_out.take()] == ["left"]
    assert [m["kind"] for m in pair.b_out.take()] == ["left"]
    assert pair.a_out.closed == (CloseCode.LEFT, "you left the session")
    assert pair.b_out.closed is None
    rooms.drop(pair.b, 2_100)
    assert len(pair.a.room.log) == 9


def test_resume_into_an_ended_room_sends_the_log_and_records_no_back() -> None:
    """After the room ended, `resume` replies with the log and adds no `back`."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.act(pair.a, Leave(), 2_000)
    again = RecordingSender()
    rooms.resume(again, pair.a.room.code, pair.a_token, 0, 3_000)
    (reply,) = again.take()
    assert [e["kind"] for e in reply["events"]] == [*PAIRED, "left"]
    assert reply["state"]["phase"] == "ended"
    assert len(pair.a.room.log) == 9


def test_sweep_removes_rooms_idle_for_the_ttl_and_closes_them_with_1001() -> None:
    """A room idle for the TTL is removed and its connections closed; an active one stays."""
    rooms = new_registry(ttl_ms=10_000)
    idle = seat_pair(rooms, now=0)
    busy = seat_pair(rooms, now=0)
    rooms.act(busy.a, Ask(box=b"sealed ask"), 5_000)
    assert rooms.sweep(9_999) == []
    assert [room.label for room in rooms.sweep(10_000)] == [idle.a.room.label]
    assert idle.a_out.closed is not None
    assert idle.a_out.closed[0] == CloseCode.GOING_AWAY
    assert busy.a_out.closed is None
    assert rooms.room_count == 1
    with pytest.raises(Rejected) as gone:
        rooms.join(RecordingSender(), idle.a.room.code, 10_001)
    assert gone.value.code is ErrorCode.NO_ROOM
    assert [room.label for room in rooms.sweep(15_000)] == [busy.a.room.label]


def test_a_full_log_takes_only_leave() -> None:
    """Past the log budget, messages are `rate_limited` and `leave` still ends the room."""
    budget = seat_pair(new_registry()).a.room.log.size
    rooms = new_registry(max_log_bytes=budget)
    pair = seat_pair(rooms)  # the last hello fills the log to the budget exactly
    with pytest.raises(Rejected) as full:
        rooms.act(pair.a, Ask(box=b"sealed ask"), 2_000)
    assert full.value.code is ErrorCode.RATE_LIMITED
    rooms.act(pair.a, Leave(), 2_001)
    assert pair.a.room.log[-1].kind == "left"


def test_a_full_log_still_records_away_and_back_and_sends_itself_on_resume() -> None:
    """Past the log budget a drop still records `away`, and `resume` takes the seat back,
    records `back` and sends the log, now past the budget; moves stay `rate_limited`."""
    budget = seat_pair(new_registry()).a.room.log.size
    rooms = new_registry(max_log_bytes=budget)
    pair = seat_pair(rooms)  # the last hello fills the log to the budget exactly
    rooms.drop(pair.b, 2_000)
    again = RecordingSender()
    member = rooms.resume(again, pair.a.room.code, pair.b_token, 0, 3_000)
    (reply,) = again.take()
    assert [e["kind"] for e in reply["events"]] == [*PAIRED, "away", "back"]
    assert pair.a.room.log.size > budget
    with pytest.raises(Rejected) as full:
        rooms.act(member, Typing(on=True), 3_100)
    assert full.value.code is ErrorCode.RATE_LIMITED


def test_the_server_wide_log_budget_stops_new_rooms_first_then_moves() -> None:
    """Past 90% of `max_total_log_bytes` no room is made; past all of it the rooms already open
    take only `leave`; once rooms expire the budget is free again."""
    one_room = seat_pair(new_registry()).a.room.log.size
    rooms = RoomRegistry(
        MemoryRoomStore(),
        room_ttl_ms=60_000,
        max_rooms=100,
        max_log_bytes=1024 * 1024,
        max_total_log_bytes=one_room * 2,
    )
    first = seat_pair(rooms)
    rooms.create(RecordingSender(), 1_000)  # under 90%: a room is still made
    while rooms.log_bytes * 10 < one_room * 2 * 9:
        rooms.act(first.b, Nod(kind=NodKind.HEART), 1_500)
    with pytest.raises(Rejected) as full:
        rooms.create(RecordingSender(), 2_000)
    assert (full.value.code, full.value.message) == (
        ErrorCode.RATE_LIMITED,
        "the server is full; try again later",
    )
    while rooms.log_bytes < one_room * 2:
        rooms.act(first.b, Nod(kind=NodKind.HEART), 2_500)
    with pytest.raises(Rejected) as moves:
        rooms.act(first.a, Ask(box=b"sealed ask"), 3_000)
    assert moves.value.message == "the server is full; only leave is taken"
    rooms.act(first.b, Leave(), 3_001)
    assert first.a.room.log[-1].kind == "left"
    rooms.sweep(70_000)
    assert rooms.log_bytes == 0
    rooms.create(RecordingSender(), 70_000)


def test_join_matches_codes_ignoring_case_spaces_and_dashes() -> None:
    """`join` finds `ABCDE-FGHJK` typed lower-case, spaced, bare or dashed anywhere."""
    rooms = new_registry()
    a = rooms.create(RecordingSender(), 1)
    bare = a.room.code.replace("-", "")
    for typed in (f" {bare[:5].lower()} {bare[5:].lower()} ", bare, "-".join(bare.lower())):
        b = rooms.join(RecordingSender(), typed, 2)
        assert b.room is a.room
        assert b.seat is Seat.B
        del a.room.token_hashes[Seat.B]
        a.room.senders.pop(Seat.B)


def test_third_party_gets_room_full() -> None:
    """A third `join` to a room with both seats taken is `room_full`."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    with pytest.raises(Rejected) as full:
        rooms.join(RecordingSender(), pair.a.room.code, 2_000)
    assert full.value.code is ErrorCode.ROOM_FULL


def test_create_past_max_rooms_is_rate_limited() -> None:
    """With `max_rooms` rooms open, one more `create` is `rate_limited` and makes no room."""
    rooms = RoomRegistry(MemoryRoomStore(), room_ttl_ms=1_000, max_rooms=2, max_log_bytes=1_000)
    rooms.create(RecordingSender(), 0)
    rooms.create(RecordingSender(), 0)
    with pytest.raises(Rejected) as full:
        rooms.create(RecordingSender(), 0)
    assert full.value.code is ErrorCode.RATE_LIMITED
    assert rooms.room_count == 2


def test_join_into_a_room_whose_creator_left_is_ended() -> None:
    """A room that ended before b came cannot be joined: `ended`, and no seat is taken."""
    rooms = new_registry()
    a = rooms.create(RecordingSender(), 0)
    rooms.act(a, Leave(), 1)
    with pytest.raises(Rejected) as ended:
        rooms.join(RecordingSender(), a.room.code, 2)
    assert ended.value.code is ErrorCode.ENDED
    assert Seat.B not in a.room.token_hashes


def test_pairing_bytes_are_relayed_to_both_as_sent_and_the_hellos_start_round_1() -> None:
    """pake, verify and hello reach both members with their bytes unchanged; `state.names`
    holds each seat's hello box, and the second hello starts round 1 with `a` asking."""
    rooms = new_registry()
    pair = join_pair(rooms)
    steps = [
        (pair.a, Pake(msg=PAKE_MSG), "msg", PAKE_MSG),
        (pair.b, Pake(msg=PAKE_MSG[::-1]), "msg", PAKE_MSG[::-1]),
        (pair.b, Verify(mac=MAC), "mac", MAC),
        (pair.a, Verify(mac=MAC[::-1]), "mac", MAC[::-1]),
        (pair.a, Hello(box=hello_box(Seat.A)), "box", hello_box(Seat.A)),
    ]
    for seq, (member, message, key, sent) in enumerate(steps, start=3):
        rooms.act(member, message, 2_000 + seq)
        for out in (pair.a_out, pair.b_out):
            (event,) = out.take()
            assert (event["seq"], event["kind"], event["by"], event[key]) == (
                seq,
                str(message.TYPE),
                str(member.seat),
                sent,
            )
            assert event["state"]["phase"] == "waiting"
    rooms.act(pair.b, Hello(box=hello_box(Seat.B)), 3_000)
    (last,) = pair.a_out.take()
    assert pair.b_out.take() == [last]
    assert last["state"]["names"] == {"a": hello_box(Seat.A), "b": hello_box(Seat.B)}
    assert (last["state"]["phase"], last["state"]["round"], last["state"]["floor"]) == (
        "asking",
        1,
        "a",
    )


def test_a_pake_sent_before_b_joins_reaches_b_in_its_joined_log() -> None:
    """`a` may send its pake alone; `b` reads it from the `events` of its `joined` reply."""
    rooms = new_registry()
    a_out = RecordingSender()
    a = rooms.create(a_out, 1)
    rooms.act(a, Pake(msg=PAKE_MSG), 2)
    b_out = RecordingSender()
    rooms.join(b_out, a.room.code, 3)
    (joined,) = b_out.take()
    assert [(e["kind"], e.get("msg")) for e in joined["events"]] == [
        ("joined", None),
        ("pake", PAKE_MSG),
        ("joined", None),
    ]
    assert joined["state"]["phase"] == "waiting"


def test_a_mismatch_burns_the_room_and_a_later_join_is_told_so() -> None:
    """After `mismatch` the room is ended; whoever joins next gets `ended` with the design's
    sentence, even though seat `b` is taken, and no seat or event is added."""
    rooms = new_registry()
    pair = join_pair(rooms)
    rooms.act(pair.a, Pake(msg=PAKE_MSG), 2)
    rooms.act(pair.b, Pake(msg=PAKE_MSG), 3)
    rooms.act(pair.a, Mismatch(), 4)
    for out in (pair.a_out, pair.b_out):
        assert [(m["kind"], m["by"], m["state"]["phase"]) for m in out.take()][-1] == (
            "mismatch",
            "a",
            "ended",
        )
    room = pair.a.room
    assert room.session.phase is Phase.ENDED
    with pytest.raises(Rejected) as burned:
        rooms.join(RecordingSender(), room.code, 5)
    assert (burned.value.code, burned.value.message) == (ErrorCode.ENDED, BURNED)
    assert BURNED == ("this room was closed after a pairing that did not match; start a new room")
    assert len(room.log) == 5
    again = RecordingSender()
    rooms.resume(again, room.code, pair.b_token, 0, 6)
    assert again.take()[0]["events"][-1]["kind"] == "mismatch"


def test_a_room_ended_by_leave_is_not_burned() -> None:
    """Only a mismatch burns a room: after a `leave`, a third `join` is still `room_full`."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.act(pair.b, Leave(), 2_000)
    with pytest.raises(Rejected) as full:
        rooms.join(RecordingSender(), pair.a.room.code, 2_001)
    assert full.value.code is ErrorCode.ROOM_FULL


def test_a_sweep_logs_one_line_however_many_rooms_expire(caplog: pytest.LogCaptureFixture) -> None:
    """Three rooms expiring in one sweep are one line at info, each room's label at debug."""
    rooms = new_registry(ttl_ms=1_000)
    for _ in range(3):
        rooms.create(RecordingSender(), 0)
    with caplog.at_level(logging.DEBUG, logger="server.rooms"):
        assert len(rooms.sweep(5_000)) == 3
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert info == ["3 room(s) expired"]
    assert sum(r.getMessage().endswith(" expired") for r in caplog.records) == 4
