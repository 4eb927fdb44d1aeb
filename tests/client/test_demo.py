"""`fireside demo`: a whole round with Sam over the real protocol, on a loopback-only server."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from client.demo import lines
from client.demo.app import DEMO_HOST, DemoApp, demo_entry, start_demo_server
from client.entry import Entry
from client.widgets.transcript import TranscriptEntry
from server.app import RunningServer
from shared.events import EventKind
from shared.seats import Phase, Seat
from tests.client.drive import in_room, session_of, until
from tests.client.snapshot_room import FIXED_WORDS, ServerThread, SnapCompare, settle


@pytest.fixture
async def demo_server() -> AsyncIterator[RunningServer]:
    """The demo's own server, as `fireside demo` starts it."""
    running = await start_demo_server()
    try:
        yield running
    finally:
        await running.close()


async def test_demo_server_listens_on_loopback_only(demo_server: RunningServer) -> None:
    """Every socket of the demo's server is bound to 127.0.0.1, so the practice stays local."""
    addresses = {socket.getsockname()[0] for socket in demo_server._server.sockets}
    assert addresses == {DEMO_HOST}


async def test_a_whole_round_with_sam(demo_server: RunningServer) -> None:
    """Ask, Sam shares, reflect, Sam confirms; Sam asks, Ana shares, Sam reflects, Ana confirms."""
    app = DemoApp(demo_entry(demo_server, "Ana", FIXED_WORDS), pace=0)
    async with app.run_test(size=(80, 24)) as pilot:
        room = session_of(app)
        await until(pilot, lambda: room.room.phase is Phase.ASKING, within=5)
        assert room.names[Seat.B] == "Sam"

        await pilot.press("f8")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        said = [o.text for o in room.room_log if o.kind is EventKind.SAY]
        assert said == list(lines.ANSWER)

        await pilot.press(*"You love the small things", "ctrl+s")
        await until(pilot, lambda: room.room.round == 2 and room.room.phase is Phase.SHARING)
        asked = [o for o in room.room_log if o.kind is EventKind.ASK and o.by is Seat.B]
        assert [o.text for o in asked] == [lines.QUESTIONS[0]]

        await pilot.press(*"The [bold]sun[/] on the balcony this morning", "ctrl+s")
        await until(pilot, lambda: any(o.kind is EventKind.NOD for o in room.room_log))
        await pilot.press("f3")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)
        reflected = room.room_log[-1]
        assert reflected.kind is EventKind.REFLECT
        assert reflected.by is Seat.B
        assert '"The [bold]sun[/] on the balcony this morning"' in (reflected.text or "")

        await pilot.press("f5")
        await until(pilot, lambda: room.room.round == 3 and room.room.phase is Phase.ASKING)
        assert app.is_running


async def test_sam_says_goodbye_and_leaves(demo_server: RunningServer) -> None:
    """In the third round Sam's share is a goodbye; after the person's reflection Sam leaves."""
    app = DemoApp(demo_entry(demo_server, "Ana", FIXED_WORDS), pace=0)
    async with app.run_test(size=(80, 24)) as pilot:
        room = session_of(app)
        await until(pilot, lambda: room.room.phase is Phase.ASKING, within=5)
        await pilot.press("f8")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        await pilot.press(*"Small things", "ctrl+s")
        await until(pilot, lambda: room.room.round == 2 and room.room.phase is Phase.SHARING)
        await pilot.press(*"The sun", "ctrl+s", "f3")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)
        await pilot.press("f5")
        await until(pilot, lambda: room.room.round == 3 and room.room.phase is Phase.ASKING)
        await pilot.press("f8")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        said = [o.text for o in room.room_log if o.kind is EventKind.SAY and o.by is Seat.B]
        assert said[-2:] == list(lines.GOODBYE)
        await pilot.press(*"Goodbye, Sam", "ctrl+s")
        await until(pilot, lambda: room.room.phase is Phase.ENDED)
        assert room.room_log[-1].kind is EventKind.LEFT


async def test_sams_words_and_the_quote_are_plain_text(demo_server: RunningServer) -> None:
    """Markup in the person's words comes back in Sam's reflection as the same plain characters."""
    app = DemoApp(demo_entry(demo_server, "Ana", FIXED_WORDS), pace=0)
    async with app.run_test(size=(100, 30)) as pilot:
        room = session_of(app)
        await until(pilot, lambda: room.room.phase is Phase.ASKING, within=5)
        await pilot.press("f8")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        await pilot.press(*"ok", "ctrl+s")
        await until(pilot, lambda: room.room.round == 2 and room.room.phase is Phase.SHARING)
        await pilot.press(*"[red]x[/] y", "ctrl+s", "f3")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)
        await pilot.pause()
        shown = [str(entry.render()) for entry in room.query(TranscriptEntry)]
        assert any('"[red]x[/] y"' in line for line in shown)


@pytest.fixture(scope="module")
def demo_thread() -> Iterator[ServerThread]:
    """A threaded server for the demo's snapshots: snap_compare runs the app on its own loop."""
    running = ServerThread()
    yield running
    running.close()


def _practice_room(demo_thread: ServerThread) -> DemoApp:
    return DemoApp(Entry(demo_thread.url, "Ana", drawn=FIXED_WORDS, journal=False), pace=0)


@pytest.mark.parametrize("size", [(80, 24), (140, 40)])
def test_demo_banner(
    snap_compare: SnapCompare, demo_thread: ServerThread, size: tuple[int, int]
) -> None:
    """The practice room once Sam has paired: the one-line banner above the person's turn to ask."""
    app = _practice_room(demo_thread)

    async def sam_pairs(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: in_room(app))
        await settle(pilot, Phase.ASKING)

    assert snap_compare(app, terminal_size=size, run_before=sam_pairs)
