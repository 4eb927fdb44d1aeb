"""The room's log kept as frames: the same events back, the same bytes out, the size kept."""

import pytest

from server.eventlog import EventLog
from shared.codec import decode_reply, encode
from shared.events import Event, EventKind, Joined, RoomState, frame_of
from shared.seats import NodKind, Phase, Seat

STATE = RoomState(
    phase=Phase.SHARING,
    round=2,
    asker=Seat.B,
    names={Seat.A: b"\x01sealed a", Seat.B: b"\x01sealed b"},
    online={Seat.A: True, Seat.B: False},
)


def events(count: int) -> list[Event]:
    return [
        Event(
            seq,
            1_000 + seq,
            EventKind.NOD,
            Seat.A,
            STATE,
            box=bytes([seq % 256]) * 40,
            nod=NodKind.HEAR,
        )
        for seq in range(1, count + 1)
    ]


def test_the_log_gives_back_each_event_as_it_was_with_its_frame() -> None:
    """Reading an event back gives an equal event whose frame is the very bytes kept."""
    log = EventLog()
    kept = events(5)
    for event in kept:
        log.append(event)
    assert len(log) == 5
    assert list(log) == kept
    assert log[-1] == kept[-1]
    assert list(log[1:3]) == kept[1:3]
    assert log.since(3) == tuple(kept[3:])
    assert [event.frame for event in log.since(0)] == [encode(e.to_wire()) for e in kept]
    assert log.size == sum(len(encode(e.to_wire())) for e in kept)


def test_truncating_drops_the_newest_events_and_their_bytes() -> None:
    """An undo: the log and its size are as they were before the dropped events."""
    log, shorter = EventLog(), EventLog()
    for event in events(6):
        log.append(event)
    for event in events(4):
        shorter.append(event)
    log.truncate(4)
    assert log == shorter
    assert log.size == shorter.size
    assert log.since(10) == ()


def test_a_joined_reply_built_from_kept_frames_reads_as_the_encoded_one() -> None:
    """`joined` joins the events' frames as they are; it decodes to what `to_wire` says."""
    log = EventLog()
    for event in events(3):
        log.append(event)
    joined = Joined("ABCDE-FGHJK", Seat.B, "token", log.since(0), STATE)
    assert decode_reply(frame_of(joined)) == decode_reply(encode(joined.to_wire()))
    empty = Joined("ABCDE-FGHJK", Seat.A, "token", (), STATE)
    assert decode_reply(frame_of(empty)) == decode_reply(encode(empty.to_wire()))


def test_serving_a_log_reads_none_of_it_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """A `joined` carrying a long log is its kept frames spliced together: no event is read back,
    so a resume costs the loop a copy of bytes, not a decode of every event."""
    kept = events(2_000)
    log = EventLog()
    for event in kept:
        log.append(event)
    expected = frame_of(Joined("ABCDE-FGHJK", Seat.B, "token", tuple(kept), STATE))

    def unread(frame: bytes) -> Event:
        raise AssertionError("an event was read back to be sent again")

    monkeypatch.setattr("server.eventlog._read", unread)
    assert frame_of(Joined("ABCDE-FGHJK", Seat.B, "token", log.since(0), STATE)) == expected
