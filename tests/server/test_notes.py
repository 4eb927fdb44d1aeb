"""Closing notes over a real websocket: relayed to both, once per seat, listening or not."""

from pathlib import Path

import pytest

from server.app import RunningServer
from server.storage import SqliteRoomStore
from shared.errors import ErrorCode, Rejected
from shared.events import EventKind
from shared.messages import MessageType, Note
from shared.seats import Seat
from tests.server.fakes import seat_pair
from tests.server.test_round import step
from tests.server.test_storage import registry_on
from tests.server.wire import member, paired_pair


async def test_both_seats_leave_a_note_and_it_is_relayed_byte_for_byte(
    server: RunningServer,
) -> None:
    """The listener's note is taken mid-share, the floor holder's too; neither moves the turn."""
    async with paired_pair(server.port) as pair:
        await step(pair, pair.a, {"t": "ask", "box": b"sealed question"})
        from_a = await step(pair, pair.a, {"t": "note", "box": b"\x00sealed goodbye from a"})
        assert (from_a["kind"], from_a["by"], from_a["box"]) == (
            "note",
            "a",
            b"\x00sealed goodbye from a",
        )
        assert (from_a["state"]["phase"], from_a["state"]["floor"]) == ("sharing", "b")
        from_b = await step(pair, pair.b, {"t": "note", "box": b"\x01sealed goodbye from b"})
        assert from_b["by"] == "b"
        left = await step(pair, pair.a, {"t": "leave"})
        assert left["state"]["phase"] == "ended"


async def test_a_second_note_is_refused_and_changes_nothing(server: RunningServer) -> None:
    """One note per seat: the second gets `wrong_phase` with its `re`, and no event."""
    async with paired_pair(server.port) as pair:
        await step(pair, pair.b, {"t": "note", "box": b"sealed goodbye"})
        refused = await pair.b.request({"t": "note", "box": b"sealed again", "id": 7})
        assert (refused["t"], refused["code"], refused["re"]) == ("error", "wrong_phase", 7)
        await pair.a.nothing()


async def test_notes_survive_a_resume(server: RunningServer) -> None:
    """The stored log keeps the note's box: a member coming back reads it with the rest."""
    async with paired_pair(server.port) as pair:
        note = await step(pair, pair.a, {"t": "note", "box": b"sealed and kept"})
        await pair.b.send({"t": "leave"})
        back = await pair.a.recv()
        assert back["kind"] == "left"
    async with member(server.port) as again:
        joined = await again.request(
            {"t": "resume", "code": pair.code, "token": pair.a_token, "after": 0}
        )
        kept = [event for event in joined["events"] if event["kind"] == "note"]
        assert kept == [note]


def test_a_reopened_store_still_takes_one_note_per_seat(tmp_path: Path) -> None:
    """The note's box comes back from the file, and so does the rule: a second one is refused."""
    store = SqliteRoomStore.open(tmp_path / "data")
    rooms = registry_on(store)
    pair = seat_pair(rooms)
    rooms.act(pair.a, Note(box=b"\x00sealed goodbye"), 2_000)
    store.close()
    again = SqliteRoomStore.open(tmp_path / "data")
    try:
        (room,) = again.rooms()
        assert room.log[-1].kind is EventKind.NOTE
        assert room.log[-1].box == b"\x00sealed goodbye"
        assert room.session.noted == {Seat.A}
        with pytest.raises(Rejected) as caught:
            room.session.apply(Seat.A, Note(box=b"\x01again"))
        assert caught.value.code is ErrorCode.WRONG_PHASE
        assert room.session.may(Seat.B, MessageType.NOTE)
    finally:
        again.close()
