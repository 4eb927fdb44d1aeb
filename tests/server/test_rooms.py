"""The room registry by direct calls: a fake clock and recording senders, no sockets."""

import pytest

from server.closing import CloseCode
from server.rooms import MemoryRoomStore, RoomRegistry, token_hash
from shared.errors import ErrorCode, Rejected
from shared.messages import Ask, Leave, Nod, Say, Typing
from shared.seats import NodKind, Seat
from tests.server.fakes import RecordingSender, new_registry, seat_pair


def test_create_records_joined_seq_1_and_replies_with_it_last() -> None:
    """`create` answers `joined` for seat a whose log is one `joined` event, seq 1, at now."""
    rooms = new_registry()
    out = RecordingSender()
    rooms.create(out, "Ann", 5_000)
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
    a = rooms.create(a_out, "Ann", 1)
    a_out.take()
    rooms.join(b_out, a.room.code, "Bo", 2)
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
    rooms.act(pair.a, Ask(text="How are you?"), 3_000)
    rooms.act(pair.a, Nod(kind=NodKind.HEART), 3_001)
    rooms.act(pair.b, Say(text="Fine."), 3_002)
    for out in (pair.a_out, pair.b_out):
        assert [(m["seq"], m["kind"], m["at"]) for m in out.take()] == [
            (3, "ask", 3_000),
            (4, "nod", 3_001),
            (5, "say", 3_002),
        ]


def test_typing_goes_to_the_partner_alone() -> None:
    """`typing` from the floor holder reaches the partner, not the sender, and logs nothing."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.act(pair.a, Typing(on=True), 3_000)
    assert pair.b_out.take() == [{"t": "typing", "by": "a", "on": True}]
    assert pair.a_out.take() == []
    assert len(pair.a.room.log) == 2


def test_drop_records_away_and_resume_records_back_after() -> None:
    """A drop records `away`; `resume` with `after` gets only later events, `back` last."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.act(pair.a, Ask(text="How are you?"), 2_000)
    rooms.drop(pair.b, 3_000)
    assert [(m["kind"], m["by"], m["state"]["online"]["b"]) for m in pair.a_out.take()] == [
        ("ask", "a", True),
        ("away", "b", False),
    ]
    assert pair.a.room.session.floor is Seat.B
    again = RecordingSender()
    rooms.resume(again, pair.a.room.code, pair.b_token, 3, 4_000)
    (reply,) = again.take()
    assert [(e["seq"], e["kind"]) for e in reply["events"]] == [(4, "away"), (5, "back")]
    assert reply["token"] == pair.b_token
    assert [(m["seq"], m["kind"]) for m in pair.a_out.take()] == [(5, "back")]


def test_takeover_closes_the_old_connection_with_4001_and_records_nothing() -> None:
    """A resume while the seat's connection is open closes it with 4001, no away or back."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    again = RecordingSender()
    member = rooms.resume(again, pair.a.room.code, pair.b_token, 0, 2_000)
    assert pair.b_out.closed is not None
    assert pair.b_out.closed[0] == CloseCode.TAKEN_OVER
    assert len(pair.a.room.log) == 2
    assert pair.a_out.take() == []
    rooms.drop(pair.b, 2_500)
    rooms.act(pair.b, Leave(), 2_600)
    assert len(pair.a.room.log) == 2, "the old connection can neither drop nor act"
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
    assert len(pair.a.room.log) == 3


def test_resume_into_an_ended_room_sends_the_log_and_records_no_back() -> None:
    """After the room ended, `resume` replies with the log and adds no `back`."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.act(pair.a, Leave(), 2_000)
    again = RecordingSender()
    rooms.resume(again, pair.a.room.code, pair.a_token, 0, 3_000)
    (reply,) = again.take()
    assert [e["kind"] for e in reply["events"]] == ["joined", "joined", "left"]
    assert reply["state"]["phase"] == "ended"
    assert len(pair.a.room.log) == 3


def test_sweep_removes_rooms_idle_for_the_ttl_and_closes_them_with_1001() -> None:
    """A room idle for the TTL is removed and its connections closed; an active one stays."""
    rooms = new_registry(ttl_ms=10_000)
    idle = seat_pair(rooms, now=0)
    busy = seat_pair(rooms, now=0)
    rooms.act(busy.a, Ask(text="Still here?"), 5_000)
    assert rooms.sweep(9_999) == []
    assert [room.label for room in rooms.sweep(10_000)] == [idle.a.room.label]
    assert idle.a_out.closed is not None
    assert idle.a_out.closed[0] == CloseCode.GOING_AWAY
    assert busy.a_out.closed is None
    assert rooms.room_count == 1
    with pytest.raises(Rejected) as gone:
        rooms.join(RecordingSender(), idle.a.room.code, "Cy", 10_001)
    assert gone.value.code is ErrorCode.NO_ROOM
    assert [room.label for room in rooms.sweep(15_000)] == [busy.a.room.label]


def test_a_full_log_takes_only_leave() -> None:
    """Past the log budget, messages are `rate_limited` and `leave` still ends the room."""
    rooms = new_registry(max_log_bytes=1)
    pair = seat_pair(rooms)
    with pytest.raises(Rejected) as full:
        rooms.act(pair.a, Ask(text="One more?"), 2_000)
    assert full.value.code is ErrorCode.RATE_LIMITED
    rooms.act(pair.a, Leave(), 2_001)
    assert pair.a.room.log[-1].kind == "left"


def test_join_matches_codes_ignoring_case_spaces_and_dashes() -> None:
    """`join` finds `ABCDE-FGHJK` typed lower-case, spaced, bare or dashed anywhere."""
    rooms = new_registry()
    a = rooms.create(RecordingSender(), "Ann", 1)
    bare = a.room.code.replace("-", "")
    for typed in (f" {bare[:5].lower()} {bare[5:].lower()} ", bare, "-".join(bare.lower())):
        b = rooms.join(RecordingSender(), typed, "Bo", 2)
        assert b.room is a.room
        assert b.seat is Seat.B
        del a.room.token_hashes[Seat.B]
        a.room.senders.pop(Seat.B)


def test_third_party_gets_room_full() -> None:
    """A third `join` to a room with both seats taken is `room_full`."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    with pytest.raises(Rejected) as full:
        rooms.join(RecordingSender(), pair.a.room.code, "Cy", 2_000)
    assert full.value.code is ErrorCode.ROOM_FULL


def test_create_past_max_rooms_is_rate_limited() -> None:
    """With `max_rooms` rooms open, one more `create` is `rate_limited` and makes no room."""
    rooms = RoomRegistry(MemoryRoomStore(), room_ttl_ms=1_000, max_rooms=2, max_log_bytes=1_000)
    rooms.create(RecordingSender(), "Ann", 0)
    rooms.create(RecordingSender(), "Bo", 0)
    with pytest.raises(Rejected) as full:
        rooms.create(RecordingSender(), "Cy", 0)
    assert full.value.code is ErrorCode.RATE_LIMITED
    assert rooms.room_count == 2


def test_join_into_a_room_whose_creator_left_is_ended() -> None:
    """A room that ended before b came cannot be joined: `ended`, and no seat is taken."""
    rooms = new_registry()
    a = rooms.create(RecordingSender(), "Ann", 0)
    rooms.act(a, Leave(), 1)
    with pytest.raises(Rejected) as ended:
        rooms.join(RecordingSender(), a.room.code, "Bo", 2)
    assert ended.value.code is ErrorCode.ENDED
    assert Seat.B not in a.room.token_hashes
