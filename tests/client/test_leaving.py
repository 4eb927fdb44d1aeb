"""Leaving ends the session only once the server has recorded it: a leave made offline keeps
the seat and goes out when the link is back."""

import json
from typing import Any

from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Static

from client.app import FiresideApp
from client.entry import Entry
from client.leaving import SENDING, TOLD
from client.messages import LinkDown
from client.saved_seats import SeatShelf
from client.screens.summary import SummaryScreen
from server.app import RunningServer
from shared.events import EventKind
from shared.seats import Phase, Seat
from tests.client.drive import WirePartner, invite_of, session_of, until
from tests.client.relay import Relay

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
    """Ben joins the app's room straight on the server, not through the app's relay."""
    invite = await invite_of(pilot, app)
    ben = await WirePartner.join(f"ws://127.0.0.1:{server.port}", invite)
    await until(pilot, lambda: session_of(app).room.phase is Phase.ASKING)
    await until(pilot, seat_file)
    return ben


async def quit_with_note(pilot: Pilot[Any], app: FiresideApp) -> None:
    await pilot.press("ctrl+q", *NOTE, "ctrl+s")
    await until(pilot, lambda: isinstance(app.screen, SummaryScreen) and shown(app, "#my-note"))


async def went_offline(pilot: Pilot[Any], relay: Relay, seen: list[Message]) -> None:
    """Cut the link under the app and wait until it knows."""
    await relay.down()
    await until(pilot, lambda: any(isinstance(m, LinkDown) for m in seen))


async def test_quitting_online_forgets_the_seat_only_once_the_server_has_recorded_it(
    server: RunningServer,
) -> None:
    """While the server's `left` has not reached the app, the seat is kept, marked leaving with
    its note, and the summary says the leave is on its way; once it arrives the seat is gone."""
    async with Relay(server.port) as relay:
        ana = FiresideApp(Entry(relay.url, "Ana"), enter_now=True)
        async with ana.run_test(size=SIZE) as pilot:
            ben = await ben_joins(pilot, ana, server)
            relay.hold()
            await quit_with_note(pilot, ana)
            assert (await ben.until_kind(EventKind.NOTE)).text == NOTE
            assert (await ben.until_kind(EventKind.LEFT)).event.by is Seat.A
            kept = seat_file()
            assert kept is not None
            assert (kept["leaving"], kept["note"]) == (True, NOTE)
            assert leaving_line(ana) == SENDING

            relay.release()
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
    async with Relay(server.port) as relay:
        ana = FiresideApp(Entry(relay.url, "Ana"), enter_now=True)
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

                await went_offline(ana_pilot, relay, seen)
                await quit_with_note(ana_pilot, ana)
                kept = seat_file()
                assert kept is not None
                assert (kept["leaving"], kept["note"]) == (True, NOTE)
                assert "the server has not heard that you left" in leaving_line(ana)
                assert "finishes leaving the next time you start it" in leaving_line(ana)
                await ben_pilot.pause(0.2)
                assert ben_room.room.phase is Phase.ASKING

                await relay.up()
                await until(ben_pilot, lambda: isinstance(ben.screen, SummaryScreen), within=8)
                await until(ben_pilot, lambda: f"Ana's note for you\n{NOTE}" == shown(ben))
                assert ben_room.room_log[-1].kind is EventKind.LEFT
                await until(ana_pilot, lambda: seat_file() is None)
                await until(ana_pilot, lambda: leaving_line(ana) == TOLD.format(partner="Ben"))
