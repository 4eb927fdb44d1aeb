"""A real server on a thread of its own for snapshot tests, and the moves that bring a room to
the screen a snapshot shows: snap_compare runs each app on a loop of its own."""

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from textual.pilot import Pilot

from client.app import FiresideApp
from client.entry import Entry
from server.app import start_server
from server.config import ServerConfig
from shared.crypto.invite import invite_code
from shared.events import EventKind
from shared.messages import MessageType
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

    async def ben_pairs(self, pilot: Pilot[Any]) -> WirePartner:
        """Ben joins the room of the app's new seat and pairs: round 1 is the app's to ask."""
        await until(pilot, lambda: in_room(pilot.app))
        ben = await self.partner_pairs(session_of(pilot.app).code, "Ben")
        await until(pilot, lambda: session_of(pilot.app).room.phase is Phase.ASKING)
        return ben

    async def ben_asks(
        self, pilot: Pilot[Any], question: str, *, card: str | None = None
    ) -> WirePartner:
        """Ben pairs, the app hands the asking over, and Ben asks `question` (from `card`, if
        given): the app's turn to share."""
        ben = await self.ben_pairs(pilot)
        await pilot.press("f2")
        await self.run(ben.until_kind(EventKind.HANDOVER))
        fields = {"text": question} if card is None else {"text": question, "card": card}
        await self.run(ben.send_box("ask", ben.seal(MessageType.ASK, fields)))
        await until(pilot, lambda: session_of(pilot.app).room.phase is Phase.SHARING)
        return ben

    def close(self) -> None:
        for partner in self.partners:
            self.wait(partner.close())
        # snap_compare ends its app without closing the app's connection, so the server
        # waits out its close timeout and then the write timeout before it lets go.
        self.wait(self.running.close(), within=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(seconds(10))


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
