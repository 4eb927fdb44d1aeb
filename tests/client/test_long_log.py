"""A resumed window with a 20,000-event log mounts a window of it and shows the rest on request.

The room is played by the server's own rules (bench/big_log.py: RoomRegistry
called directly, no sockets, so 20,000 events take under a second), kept in
a SQLite directory, and served by a real server started on that directory;
the app resumes seat `a` from disk and reads it all in one `joined`.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.big_log import LAST_WORDS, BuiltRoom, build_room
from client.app import FiresideApp
from client.entry import Entry
from client.saved_seats import SavedSeat
from client.widgets.transcript import WINDOW, Transcript, TranscriptEntry
from server.app import start_server
from server.config import ServerConfig
from shared.seats import Seat
from tests.client.drive import session_of, until

EVENTS = 20_000
SIZE = (100, 30)


@pytest.fixture
async def long_room(tmp_path: Path) -> AsyncIterator[tuple[SavedSeat, BuiltRoom]]:
    """Seat `a` of a room of EVENTS events, on a real server serving the directory it is kept in."""
    built = build_room(tmp_path / "server", EVENTS, "rounds")
    running = await start_server(ServerConfig(port=0, data=str(tmp_path / "server")))
    url = f"ws://127.0.0.1:{running.port}"
    seat = SavedSeat(url, built.code, Seat.A, built.token, "Ana", "Ben", key=built.key.saved())
    try:
        yield seat, built
    finally:
        await running.close()


def mounted(transcript: Transcript) -> list[int]:
    return [entry.seq for entry in transcript.query(TranscriptEntry)]


async def test_a_long_log_mounts_a_window_and_pages_back_through_the_rest(
    long_room: tuple[SavedSeat, BuiltRoom],
) -> None:
    """Every shown event is in the transcript once, in order, only WINDOW of them mounted, and
    each page up at the top mounts the WINDOW before them."""
    seat, built = long_room
    app = FiresideApp(Entry.resuming(seat), enter_now=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(session_of(app).room_log) >= built.events, within=30)
        transcript = session_of(app).query_one(Transcript)
        await pilot.pause()
        seqs = transcript.seqs
        assert seqs == sorted(set(seqs)), "each entry once, in seq order"
        # Two pakes, two verifies and our own hello are not lines; every other event is one.
        assert len(seqs) == EVENTS - 5
        assert seqs[-1] == built.events  # the last say; our own `back` is not a line
        assert mounted(transcript) == seqs[-WINDOW:]
        assert transcript.query(TranscriptEntry).last().shown.plain == LAST_WORDS
        hint = transcript.query_one("#earlier")
        assert hint.display
        assert f"Earlier: {len(seqs) - WINDOW:,} more" in str(hint.render())

        # Page up at the top mounts the WINDOW entries before, none lost, none doubled.
        await until(pilot, lambda: 0 < transcript.max_scroll_y == transcript.scroll_y)
        for looks in (1, 2):
            # Scrolled to the top of what is mounted, the next page up looks further back.
            transcript.scroll_home(animate=False)
            await pilot.pause()
            await pilot.press("pageup")
            waiting = len(seqs) - (looks + 1) * WINDOW
            await until(pilot, lambda: transcript.earlier == waiting)  # noqa: B023 (awaited here)
            await pilot.pause()
            assert mounted(transcript) == seqs[waiting:]
            # What shows now is the page just above what was on top before.
            assert 0 < transcript.scroll_y < transcript.max_scroll_y
