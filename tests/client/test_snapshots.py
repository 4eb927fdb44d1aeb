"""How the welcome, invite, asking, listening and help screens look at a fixed size."""

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from textual.pilot import Pilot

from client.app import FiresideApp
from client.entry import Entry
from client.screens.phrase_dialog import PhraseDialog
from client.widgets.status_line import StatusLine
from client.widgets.typing_indicator import TypingIndicator
from server.app import start_server
from server.config import ServerConfig
from shared.crypto.invite import invite_code
from shared.events import EventKind
from shared.seats import Phase
from tests.client.drive import WirePartner, in_room, session_of, until
from tests.timing import seconds

SnapCompare = Callable[..., bool]
T = TypeVar("T")
SIZE = (80, 24)
FIXED_CODE = "K7M2Q-X9P4R"
"""Shown instead of the server's random nameplate, so the picture is the same every run."""
FIXED_WORDS = ("orbit", "velvet", "canyon")
"""The invite's words, drawn by the test instead of at random."""
SHOWN_SERVER = "ws://192.0.2.10:8765"
"""The address the invite names, instead of the test server's random port."""


class ServerThread:
    """A real server, and the partners talking to it, on a loop in a thread of their own.

    snap_compare runs each app on a fresh loop that is gone when the picture is
    taken; what must outlive it (the server, the partner's socket) lives here.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.running = self.wait(start_server(ServerConfig(port=0)))
        self.url = f"ws://127.0.0.1:{self.running.port}"
        self.partners: list[WirePartner] = []

    def wait(self, coroutine: Coroutine[Any, Any, T], within: float = 10) -> T:
        """Run `coroutine` on the server's loop from a thread that is not in a loop."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(seconds(within))

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the server's loop from the app's loop, without blocking it."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    async def partner_pairs(self, nameplate: str, name: str) -> WirePartner:
        """A partner joins with the invite's words and pairs, on the server's loop."""
        invite = invite_code(nameplate, FIXED_WORDS)
        partner = await self.run(WirePartner.join(self.url, invite, name))
        self.partners.append(partner)
        return partner

    def close(self) -> None:
        for partner in self.partners:
            self.wait(partner.close())
        # snap_compare ends its app without closing the app's connection, so the server
        # waits out its close timeout and then the write timeout before it lets go.
        self.wait(self.running.close(), within=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(seconds(10))


@pytest.fixture(scope="module")
def server_thread() -> Iterator[ServerThread]:
    """One threaded server for the snapshot tests of this module."""
    running = ServerThread()
    yield running
    running.close()


def entering(server_thread: ServerThread) -> FiresideApp:
    """Ana makes a room with the fixed words; her invite names the fixed address."""
    entry = Entry(server_thread.url, "Ana", invite_servers=(SHOWN_SERVER,), drawn=FIXED_WORDS)
    return FiresideApp(entry, enter_now=True)


async def settle(pilot: Pilot[Any], phase: Phase) -> None:
    """Wait for `phase`, then hide what changes between runs: the nameplate."""
    room = session_of(pilot.app)
    await until(pilot, lambda: room.room.phase is phase)
    room.code = FIXED_CODE
    room.invite = invite_code(FIXED_CODE, FIXED_WORDS)
    room.show_invite()
    room.show_room()
    await pilot.pause()


def test_welcome_screen(snap_compare: SnapCompare) -> None:
    """The welcome form with a server, a name and no code yet."""
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))
    assert snap_compare(app, terminal_size=SIZE)


def test_invite_screen(snap_compare: SnapCompare, server_thread: ServerThread) -> None:
    """The new room: the invite with its words, the partner's command, and the calm wait."""
    app = entering(server_thread)

    async def waiting(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: in_room(app))
        await until(pilot, lambda: session_of(app).query_one(StatusLine).sentence.endswith("…"))
        await settle(pilot, Phase.WAITING)

    assert snap_compare(app, terminal_size=SIZE, run_before=waiting)


def test_asking_screen(snap_compare: SnapCompare, server_thread: ServerThread) -> None:
    """The asker's turn after pairing: cards beside the transcript, the composer open."""
    app = entering(server_thread)

    async def partner_pairs(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: in_room(app))
        await server_thread.partner_pairs(session_of(app).code, "Ben")
        await settle(pilot, Phase.ASKING)

    assert snap_compare(app, terminal_size=SIZE, run_before=partner_pairs)


def test_phrase_dialog(snap_compare: SnapCompare) -> None:
    """F7's dialog: four words and what to do with them (a fixed phrase, as the key is random)."""
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))

    async def show_phrase(pilot: Pilot[Any]) -> None:
        await pilot.app.push_screen(PhraseDialog("orbit velvet canyon fossil"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=show_phrase)


def test_help_screen(snap_compare: SnapCompare) -> None:
    """F1's guide at 80x24: read whole, with no scrollbar, and how to close it in the border."""
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))
    assert snap_compare(app, terminal_size=SIZE, press=["f1"])


def test_listening_screen(snap_compare: SnapCompare, server_thread: ServerThread) -> None:
    """The listener while the partner shares: the banner, the closed composer and the nods."""
    app = entering(server_thread)

    async def partner_answers(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: in_room(app))
        ben = await server_thread.partner_pairs(session_of(app).code, "Ben")
        await until(pilot, lambda: session_of(app).room.phase is Phase.ASKING)
        await pilot.press("f8")
        await until(pilot, lambda: session_of(app).room.phase is Phase.SHARING)
        await server_thread.run(ben.until_kind(EventKind.ASK))
        await server_thread.run(ben.say("It was a long day; the walk helped."))
        await server_thread.run(ben.send(t="typing", on=True))
        await until(pilot, lambda: session_of(app).query_one(TypingIndicator).writer == "Ben")
        await settle(pilot, Phase.SHARING)

    assert snap_compare(app, terminal_size=SIZE, run_before=partner_answers)


def test_sharing_screen(snap_compare: SnapCompare, server_thread: ServerThread) -> None:
    """The speaker mid-answer: the question above, one message sent, more being written."""
    app = entering(server_thread)

    async def ana_shares(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: in_room(app))
        ben = await server_thread.partner_pairs(session_of(app).code, "Ben")
        await until(pilot, lambda: session_of(app).room.phase is Phase.ASKING)
        await pilot.press("f2")
        await server_thread.run(ben.until_kind(EventKind.HANDOVER))
        await server_thread.run(ben.ask("What is something small that made you smile?"))
        await until(pilot, lambda: session_of(app).room.phase is Phase.SHARING)
        await pilot.press(*"The neighbour's dog, waiting at the gate.", "ctrl+s")
        await server_thread.run(ben.until_kind(EventKind.SAY))
        await pilot.press(*"Every morning, like it")
        await settle(pilot, Phase.SHARING)

    assert snap_compare(app, terminal_size=SIZE, run_before=ana_shares)
