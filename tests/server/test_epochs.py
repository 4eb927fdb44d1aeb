"""Each room's log has an epoch, and a `resume` whose place is not in the log gets all of it
again with `resync`: docs/protocol.md, Drops, resume and leave. By direct calls."""

import pytest

from server.room import new_epoch
from shared.errors import ErrorCode, Rejected
from shared.fields import EPOCH_MAX
from shared.messages import Ask, MessageType, Resume, parse_fields
from tests.server.fakes import RecordingSender, new_registry, seat_pair


def test_create_and_join_carry_the_rooms_epoch_and_never_resync() -> None:
    """Both seats' `joined` name the room's epoch, from 1 to 2^31 - 1, with `resync` false."""
    rooms = new_registry()
    a_out, b_out = RecordingSender(), RecordingSender()
    a = rooms.create(a_out, 1_000)
    rooms.join(b_out, a.room.code, 1_000)
    (created,) = a_out.take()[:1]
    (joined,) = b_out.take()
    assert 1 <= a.room.epoch <= EPOCH_MAX
    assert (created["epoch"], created["resync"]) == (a.room.epoch, False)
    assert (joined["epoch"], joined["resync"]) == (a.room.epoch, False)


def test_rooms_draw_their_epochs_at_random() -> None:
    """Two rooms do not share an epoch: it is drawn, not counted from 1 in each room."""
    rooms = new_registry()
    epochs = {rooms.create(RecordingSender(), 1_000).room.epoch for _ in range(20)}
    assert len(epochs) == 20


def test_a_resume_in_the_rooms_epoch_gets_only_the_later_events() -> None:
    """The right epoch and an `after` within the log: `resync` false, the events after it."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.drop(pair.b, 2_000)
    again = RecordingSender()
    room = pair.a.room
    rooms.resume(again, room.code, pair.b_token, 8, 3_000, epoch=room.epoch)
    (reply,) = again.take()
    assert (reply["epoch"], reply["resync"]) == (room.epoch, False)
    assert [(e["seq"], e["kind"]) for e in reply["events"]] == [(9, "away"), (10, "back")]


def test_a_resume_at_the_head_of_the_log_is_no_resync() -> None:
    """An `after` equal to the last seq before the resume is a place in the log: only the
    resume's own `back` comes."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.drop(pair.b, 2_000)
    again = RecordingSender()
    room = pair.a.room
    rooms.resume(again, room.code, pair.b_token, 9, 3_000, epoch=room.epoch)
    (reply,) = again.take()
    assert reply["resync"] is False
    assert [(e["seq"], e["kind"]) for e in reply["events"]] == [(10, "back")]


def test_a_resume_in_another_epoch_gets_the_whole_log_with_resync() -> None:
    """An epoch that is not the room's: the whole log from seq 1, `resync` true, whatever
    `after` says; the partner hears one `back`, as for any resume."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.act(pair.a, Ask(box=b"sealed ask"), 1_500)
    rooms.drop(pair.b, 2_000)
    pair.a_out.take()
    again = RecordingSender()
    room = pair.a.room
    rooms.resume(again, room.code, pair.b_token, 9, 3_000, epoch=new_epoch(room.epoch))
    (reply,) = again.take()
    assert (reply["epoch"], reply["resync"]) == (room.epoch, True)
    assert [e["seq"] for e in reply["events"]] == list(range(1, 12))
    assert reply["events"][-1]["kind"] == "back"
    assert [(m["seq"], m["kind"]) for m in pair.a_out.take()] == [(11, "back")]


def test_a_resume_past_the_head_of_the_log_gets_the_whole_log_with_resync() -> None:
    """An `after` past the last seq means the client saw events this log does not hold (a
    restore, a lost log): the whole log with `resync` true, even with the room's epoch."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.drop(pair.b, 2_000)
    pair.a_out.take()
    again = RecordingSender()
    room = pair.a.room
    rooms.resume(again, room.code, pair.b_token, 10, 3_000, epoch=room.epoch)
    (reply,) = again.take()
    assert reply["resync"] is True
    assert [e["seq"] for e in reply["events"]] == list(range(1, 11))
    assert reply["state"]["online"]["b"] is True
    assert [(m["seq"], m["kind"]) for m in pair.a_out.take()] == [(10, "back")]


def test_a_resume_without_an_epoch_is_taken_as_before() -> None:
    """A client that knows no epoch (an older one) gets the events after `after`, no resync."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    rooms.drop(pair.b, 2_000)
    again = RecordingSender()
    rooms.resume(again, pair.a.room.code, pair.b_token, 8, 3_000)
    (reply,) = again.take()
    assert reply["resync"] is False
    assert [e["seq"] for e in reply["events"]] == [9, 10]


def test_a_takeover_in_another_epoch_resyncs_too() -> None:
    """A resume that takes over an open seat records nothing, and still gets the whole log
    when its epoch is not the room's."""
    rooms = new_registry()
    pair = seat_pair(rooms)
    again = RecordingSender()
    room = pair.a.room
    rooms.resume(again, room.code, pair.b_token, 8, 3_000, epoch=new_epoch(room.epoch))
    (reply,) = again.take()
    assert reply["resync"] is True
    assert [e["seq"] for e in reply["events"]] == list(range(1, 9))


def test_a_resume_epoch_is_an_optional_integer_in_range() -> None:
    """docs/protocol.md, Field rules: `epoch` may be left out; if given it is an integer from
    1 to 2^31 - 1, and anything else is `bad_field` naming it."""
    base = {"t": "resume", "code": "K7M2Q-X9P4R", "token": "t" * 22, "after": 3}
    assert parse_fields(MessageType.RESUME, base) == Resume(
        code="K7M2Q-X9P4R", token="t" * 22, after=3
    )
    assert parse_fields(MessageType.RESUME, {**base, "epoch": EPOCH_MAX}) == Resume(
        code="K7M2Q-X9P4R", token="t" * 22, after=3, epoch=EPOCH_MAX
    )
    for wrong in (0, -1, EPOCH_MAX + 1, "7", 7.0, True, None, b"\x07"):
        with pytest.raises(Rejected) as refused:
            parse_fields(MessageType.RESUME, {**base, "epoch": wrong})
        assert refused.value.code is ErrorCode.BAD_FIELD
        assert "epoch" in refused.value.message


def test_a_new_epoch_is_never_the_one_it_replaces(monkeypatch: pytest.MonkeyPatch) -> None:
    """`new_epoch(old)` draws again when it draws `old`, so a renewed room always resyncs a
    client that holds the old one."""
    draws = iter([6, 6, 41])
    monkeypatch.setattr("server.room.secrets.randbelow", lambda _: next(draws))
    assert new_epoch(7) == 42
