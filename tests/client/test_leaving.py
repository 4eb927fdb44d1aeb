"""Leaving ends the session only once the server has recorded it: a leave made offline keeps
the seat, goes out when the link is back, or is finished at the next start."""

import asyncio
import json
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Static

from client.app import FiresideApp
from client.cli import main
from client.entry import Entry
from client.leaving import SENDING, TOLD, TOLD_ALONE
from client.messages import LinkDown
from client.saved_seats import SavedSeat, SeatShelf
from client.screens.summary import SummaryScreen
from client.widgets.resume_offers import ResumeOffers
from server.app import RunningServer
from shared.crypto.pairing import RoomKey
from shared.events import EventKind
from shared.seats import Phase, Seat
from tests.client.drive import WirePartner, in_room, invite_of, session_of, until
from tests.client.test_entry import free_port
from tests.faults.proxy import Direction, FaultProxy
from tests.terminal import Terminal

SIZE = (100, 30)
NOTE = "Thank you, see you on Sunday"


def seat_file() -> dict[str, Any] | None:
    """The one seat file's JSON, or None when no seat is kept."""
    files = list(SeatShelf.default().directory.glob("*.json"))
    assert len(files) <= 1, files
    return json.loads(files[0].read_text()) if files else None


def leaving_line(app: FiresideApp) -> str:
    """What the summary says about this seat's leave."""
    return shown(app, "#leaving")


def shown(app: FiresideApp, part: str = "#partner-note") -> str:
    """One part of the summary on the app's screen; "" while it is not composed yet."""
    assert isinstance(app.screen, SummaryScreen)
    found = app.screen.query(part)
    return str(found.first(Static).render()) if found else ""


async def ben_joins(pilot: Pilot[Any], app: FiresideApp, server: RunningServer) -> WirePartner:
    """Ben joins the app's room straight on the server, not through the app's proxy."""
    invite = await invite_of(pilot, app)
    ben = await WirePartner.join(f"ws://127.0.0.1:{server.port}", invite)
    await until(pilot, lambda: session_of(app).room.phase is Phase.ASKING)
    await until(pilot, seat_file)
    return ben


async def quit_with_note(pilot: Pilot[Any], app: FiresideApp) -> None:
    await pilot.press("ctrl+q", *NOTE, "ctrl+s")
    await until(pilot, lambda: isinstance(app.screen, SummaryScreen) and shown(app, "#my-note"))


async def went_offline(pilot: Pilot[Any], proxy: FaultProxy, seen: list[Message]) -> None:
    """Cut the link under the app and wait until it knows."""
    await proxy.close()
    await until(pilot, lambda: any(isinstance(m, LinkDown) for m in seen))


async def test_quitting_online_forgets_the_seat_only_once_the_server_has_recorded_it(
    server: RunningServer,
) -> None:
    """While the server's `left` has not reached the app, the seat is kept, marked leaving with
    its note, and the summary says the leave is on its way; once it arrives the seat is gone."""
    async with FaultProxy(server.port) as proxy:
        ana = FiresideApp(Entry(proxy.url, "Ana"), enter_now=True)
        async with ana.run_test(size=SIZE) as pilot:
            ben = await ben_joins(pilot, ana, server)
            proxy.hold(Direction.DOWN)
            await quit_with_note(pilot, ana)
            assert (await ben.until_kind(EventKind.NOTE)).text == NOTE
            assert (await ben.until_kind(EventKind.LEFT)).event.by is Seat.A
            kept = seat_file()
            assert kept is not None
            assert (kept["leaving"], kept["note"]) == (True, NOTE)
            assert leaving_line(ana) == SENDING

            proxy.release()
            await until(pilot, lambda: seat_file() is None)
            await until(pilot, lambda: leaving_line(ana) == TOLD.format(partner="Ben"))
            await ben.close()


async def test_quitting_offline_keeps_the_seat_and_leaves_once_the_link_is_back(
    server: RunningServer,
) -> None:
    """Offline, quitting keeps the seat and says the server has not heard; Ben's Fireside goes
    on. When the link comes back under the summary, the note and the leave go out, Ben's
    Fireside shows the end with the note, and the seat is forgotten."""
    seen: list[Message] = []
    async with FaultProxy(server.port) as proxy:
        ana = FiresideApp(Entry(proxy.url, "Ana"), enter_now=True)
        async with ana.run_test(size=SIZE, message_hook=seen.append) as ana_pilot:
            invite = await invite_of(ana_pilot, ana)
            # Ben's window keeps no seat: the state directory is Ana's.
            ben = FiresideApp(
                Entry.joining(f"ws://127.0.0.1:{server.port}", "Ben", invite),
                enter_now=True,
                keep_seats=False,
            )
            async with ben.run_test(size=SIZE) as ben_pilot:
                ben_room = session_of(ben)
                await until(ben_pilot, lambda: ben_room.room.phase is Phase.ASKING)
                await until(ana_pilot, seat_file)

                await went_offline(ana_pilot, proxy, seen)
                await quit_with_note(ana_pilot, ana)
                kept = seat_file()
                assert kept is not None
                assert (kept["leaving"], kept["note"]) == (True, NOTE)
                assert "the server has not heard that you left" in leaving_line(ana)
                assert "finishes leaving the next time you start it" in leaving_line(ana)
                await ben_pilot.pause(0.2)
                assert ben_room.room.phase is Phase.ASKING

                await proxy.start()
                await until(ben_pilot, lambda: isinstance(ben.screen, SummaryScreen), within=8)
                await until(ben_pilot, lambda: f"Ana's note for you\n{NOTE}" == shown(ben))
                assert ben_room.room_log[-1].kind is EventKind.LEFT
                await until(ana_pilot, lambda: seat_file() is None)
                await until(ana_pilot, lambda: leaving_line(ana) == TOLD.format(partner="Ben"))


async def left_offline_and_closed(proxy: FaultProxy, server: RunningServer) -> WirePartner:
    """Ana pairs with Ben, goes offline, quits with a note and closes the window; the server
    has heard nothing of it. Ben, who is still in the room."""
    seen: list[Message] = []
    ana = FiresideApp(Entry(proxy.url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE, message_hook=seen.append) as pilot:
        ben = await ben_joins(pilot, ana, server)
        await went_offline(pilot, proxy, seen)
        await quit_with_note(pilot, ana)
        await pilot.press("enter")
        await until(pilot, lambda: not ana.is_running)
    kept = seat_file()
    assert kept is not None
    assert (kept["leaving"], kept["note"]) == (True, NOTE)
    return ben


async def test_the_next_start_finishes_a_leave_the_server_never_heard(
    server: RunningServer,
) -> None:
    """The next `fireside` offers no resume of that seat; it resumes it only to send the note
    and leave, Ben hears both, the seat is forgotten, and a notification says so."""
    async with FaultProxy(server.port) as proxy:
        ben = await left_offline_and_closed(proxy, server)
        await proxy.start()

        again = FiresideApp(Entry(proxy.url, "Ana"))
        async with again.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            assert again.screen.query_one(ResumeOffers).seats == []
            note = await ben.until_kind(EventKind.NOTE)
            assert (note.event.by, note.text) == (Seat.A, NOTE)
            assert (await ben.until_kind(EventKind.LEFT)).event.by is Seat.A
            await until(pilot, lambda: seat_file() is None)
            await until(pilot, lambda: again._notifications)
            [told] = [n.message for n in again._notifications]
            assert told.startswith("You have left room ")
            assert told.endswith("Ben's Fireside shows the session ended.")
            assert not in_room(again)
        await ben.close()


async def test_fireside_resume_finishes_leaving_instead_of_going_back(
    server: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fireside resume` never takes a seat being left back into the room: it finishes the
    leave, says so in one line, and the seat is forgotten."""
    async with FaultProxy(server.port) as proxy:
        ben = await left_offline_and_closed(proxy, server)
        await proxy.start()
        capsys.readouterr()
        assert await asyncio.to_thread(main, ["resume"]) == 0
        said = capsys.readouterr().err
        assert said.startswith("fireside: You have left room ")
        assert said.count("\n") == 1
        assert (await ben.until_kind(EventKind.NOTE)).text == NOTE
        assert (await ben.until_kind(EventKind.LEFT)).event.by is Seat.A
        assert seat_file() is None
        await ben.close()


async def test_a_start_that_cannot_reach_the_server_keeps_the_leave_for_later(
    server: RunningServer, tmp_path: Path
) -> None:
    """With the server still out of reach the seat stays marked leaving, nothing is offered,
    and the notification says the next start tries again."""
    async with FaultProxy(server.port) as proxy:
        ben = await left_offline_and_closed(proxy, server)
        again = FiresideApp(Entry(proxy.url, "Ana"))
        async with again.run_test(size=SIZE, notifications=True) as pilot:
            await until(pilot, lambda: again._notifications)
            [told] = [n.message for n in again._notifications]
            assert told.startswith("Leaving room ")
            assert told.endswith("Fireside tries again the next time it starts.")
            assert again.screen.query_one(ResumeOffers).seats == []
        kept = seat_file()
        assert kept is not None
        assert kept["leaving"] is True
        await ben.close()


def unwrapped(text: str) -> str:
    """`text` without spaces or line ends: a line the terminal wrapped reads whole again."""
    return "".join(text.split())


def test_in_a_terminal_an_unfinished_leave_is_said_on_screen_and_at_exit() -> None:
    """In a real terminal, `fireside` with a leave it cannot finish shows why in a notification,
    offers nothing to resume, and once closed says in the shell that the server has not heard."""
    code = "K7M2Q-X9P4R"
    key = RoomKey(code, bytes(32)).saved()
    unheard = SavedSeat(f"ws://127.0.0.1:{free_port()}", code, Seat.A, "t" * 22, "Ana", key=key)
    SeatShelf.default().save(replace(unheard, partner="Ben", leaving=True, note=NOTE))
    fireside = shutil.which("fireside", path=str(Path(sys.executable).parent))
    assert fireside is not None, "fireside is not installed beside this Python"
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    terminal = Terminal([fireside, "--no-journal"], env)
    try:
        # The notification sits over the form: read it a line at a time.
        shown = terminal.until(lambda screen: "next time it starts." in screen, within=10)
        assert f"Leaving room {code} is not" in shown
        assert "Resume your session" not in shown
        terminal.write(b"\x11")  # ctrl+q: no room is open, so it closes at once
        said = terminal.until(lambda screen: f"resume{code})" in unwrapped(screen), within=5)
        heard = unwrapped(f"fireside: the server has not heard yet that you left room {code};")
        assert heard in unwrapped(said)
    finally:
        terminal.close()
    assert SeatShelf.default().leaving() != []


async def test_leaving_a_room_no_one_joined_speaks_of_no_partner(server: RunningServer) -> None:
    """Ana makes a room and leaves before anyone joins: the summary says the server heard her
    and that no one had joined, with no partner's note and no counts of a session."""
    ana = FiresideApp(Entry(f"ws://127.0.0.1:{server.port}", "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        await invite_of(pilot, ana)
        await pilot.press("ctrl+q", "ctrl+s")
        await until(pilot, lambda: isinstance(ana.screen, SummaryScreen))
        await until(pilot, lambda: leaving_line(ana) == TOLD_ALONE)
        assert "No one joined this room" in shown(ana, "#counts")
        assert "partner" not in shown(ana) + shown(ana, "#my-note") + leaving_line(ana)
