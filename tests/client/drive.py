"""Helpers that drive the client in tests: wait for a condition, enter a room, speak raw msgpack."""

import asyncio
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from websockets.asyncio.client import ClientConnection, connect

from client.app import FiresideApp
from client.connection import SUBPROTOCOL
from client.screens.session import SessionScreen
from shared.codec import MAX_REPLY, decode_reply, encode
from shared.events import EventKind
from shared.seats import Phase
from tests.timing import seconds

STEP = 0.02


async def until(pilot: Pilot[Any], condition: Callable[[], object], within: float = 3.0) -> None:
    """Let the app run until `condition()` holds, or fail after `within` (scaled) seconds."""
    for _ in range(int(seconds(within) / STEP)):
        if condition():
            return
        await pilot.pause(STEP)
    assert condition(), f"still waiting after {seconds(within):.1f}s"


def session_of(app: App[Any]) -> SessionScreen:
    """The app's session screen (it may sit under a dialog)."""
    screens = [screen for screen in app.screen_stack if isinstance(screen, SessionScreen)]
    assert screens, f"no session screen; the screen is {app.screen!r}"
    return screens[-1]


def in_room(app: FiresideApp) -> bool:
    """Whether the app holds a seat in a room."""
    return any(isinstance(s, SessionScreen) and s.me is not None for s in app.screen_stack)


class WireMember:
    """A partner that speaks the protocol directly: raw msgpack maps over a websocket."""

    def __init__(self, websocket: ClientConnection) -> None:
        self.websocket = websocket

    @classmethod
    async def open(cls, url: str) -> "WireMember":
        websocket = await connect(
            url, subprotocols=[SUBPROTOCOL], max_size=MAX_REPLY, compression=None, proxy=None
        )
        return cls(websocket)

    @classmethod
    async def join(cls, url: str, code: str, name: str = "Ben") -> "WireMember":
        """A partner seated in the room `code` (its `joined` reply read)."""
        member = await cls.open(url)
        await member.send(t="join", code=code, name=name)
        await member.receive_until("joined")
        return member

    async def send(self, **message: Any) -> None:
        await self.websocket.send(encode(message))

    async def receive(self) -> dict[str, Any]:
        async with asyncio.timeout(seconds(3)):
            frame = await self.websocket.recv()
        assert isinstance(frame, bytes)
        return decode_reply(frame)

    async def receive_until(self, t: str) -> dict[str, Any]:
        """The next reply whose `t` is `t`, skipping others."""
        while True:
            reply = await self.receive()
            if reply["t"] == t:
                return reply

    async def close(self) -> None:
        await self.websocket.close()


async def ben_answers(
    pilot: Pilot[Any], ana: FiresideApp, url: str, text: str
) -> tuple[SessionScreen, WireMember]:
    """Ana's window enters a room, Ben joins it over the wire, Ana asks and Ben says `text`:
    Ana's session screen, and Ben."""
    await until(pilot, lambda: in_room(ana))
    room = session_of(ana)
    ben = await WireMember.join(url, room.code, "Ben")
    await until(pilot, lambda: room.room.phase is Phase.ASKING)
    await pilot.press("enter")
    await ben.receive_until("event")
    await ben.send(t="say", text=text)
    await until(pilot, lambda: room.room_log[-1].kind is EventKind.SAY)
    return room, ben
