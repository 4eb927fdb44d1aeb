"""How the welcome, asking and listening screens look, at a fixed size with nothing volatile."""

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from textual.pilot import Pilot

from client.app import FiresideApp
from client.entry import Entry
from client.widgets.composer import Composer
from client.widgets.typing_indicator import TypingIndicator
from server.app import start_server
from server.config import ServerConfig
from shared.seats import Phase
from tests.client.drive import WireMember, in_room, session_of, until
from tests.timing import seconds

SnapCompare = Callable[..., bool]
T = TypeVar("T")
SIZE = (80, 24)
FIXED_CODE = "7KQ2M-XW9PD"
"""Shown instead of the server's random code, so the picture is the same every run."""


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
        self.partners: list[WireMember] = []

    def wait(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the server's loop from a thread that is not in a loop."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(seconds(10))

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the server's loop from the app's loop, without blocking it."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    async def partner_joins(self, code: str, name: str) -> WireMember:
        partner = await self.run(WireMember.open(self.url))
        self.partners.append(partner)
        await self.run(partner.send(t="join", code=code, name=name))
        return partner

    def close(self) -> None:
        for partner in self.partners:
            self.wait(partner.close())
        self.wait(self.running.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(seconds(10))


@pytest.fixture(scope="module")
def server_thread() -> Iterator[ServerThread]:
    """One threaded server for the snapshot tests of this module."""
    running = ServerThread()
    yield running
    running.close()


async def settle(pilot: Pilot[Any], phase: Phase) -> None:
    """Wait for `phase`, then hide what changes between runs: the code and the cursor blink."""
    room = session_of(pilot.app)
    await until(pilot, lambda: room.room.phase is phase)
    room.code = FIXED_CODE
    room.show_room()
    room.query_one(Composer).cursor_blink = False
    await pilot.pause()


def test_welcome_screen(snap_compare: SnapCompare) -> None:
    """The welcome form with a server, a name and no code yet."""
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))
    assert snap_compare(app, terminal_size=SIZE)


def test_asking_screen(snap_compare: SnapCompare, server_thread: ServerThread) -> None:
    """The asker's turn: cards beside the transcript, the composer open, Ask in the footer."""
    app = FiresideApp(Entry(server_thread.url, "Ana"), enter_now=True)

    async def partner_joins(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: in_room(app))
        await server_thread.partner_joins(session_of(app).code, "Ben")
        await settle(pilot, Phase.ASKING)

    assert snap_compare(app, terminal_size=SIZE, run_before=partner_joins)


def test_listening_screen(snap_compare: SnapCompare, server_thread: ServerThread) -> None:
    """The listener while the partner shares: the banner, the closed composer and the nods."""
    app = FiresideApp(Entry(server_thread.url, "Ana"), enter_now=True)

    async def partner_answers(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: in_room(app))
        ben = await server_thread.partner_joins(session_of(app).code, "Ben")
        await until(pilot, lambda: session_of(app).room.phase is Phase.ASKING)
        await pilot.press("enter")
        await until(pilot, lambda: session_of(app).room.phase is Phase.SHARING)
        await server_thread.run(ben.send(t="say", text="It was a long day; the walk helped."))
        await server_thread.run(ben.send(t="typing", on=True))
        await until(pilot, lambda: session_of(app).query_one(TypingIndicator).writer == "Ben")
        await settle(pilot, Phase.SHARING)

    assert snap_compare(app, terminal_size=SIZE, run_before=partner_answers)
