"""A server that takes the websocket but answers nonsense is named in one sentence, at once."""

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import msgpack
import pytest
from websockets.asyncio.server import Server, ServerConnection, serve

from client.app import FiresideApp
from client.connection import SUBPROTOCOL
from client.entry import Entry
from client.screens.welcome import WelcomeScreen
from client.widgets.status_line import StatusLine
from tests.client.drive import until

SIZE = (100, 30)

NONSENSE: dict[str, str | bytes] = {
    "garbage bytes": b"\xc1\xff\x00 not msgpack at all",
    "msgpack that is no map": msgpack.packb([1, 2, 3]),
    "a map without t": msgpack.packb({"hello": "world"}),
    "a text frame": "hello, I am a chat server",
}


def answering(frame: str | bytes) -> Callable[[ServerConnection], Coroutine[Any, Any, None]]:
    """A handler that answers every message with `frame` and keeps the connection open."""

    async def handler(websocket: ServerConnection) -> None:
        async for _ in websocket:
            for _ in range(3):
                await websocket.send(frame)

    return handler


@pytest.fixture(params=sorted(NONSENSE))
async def nonsense_server(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A websockets server on 127.0.0.1 port 0 that accepts fireside.2 and speaks nonsense."""
    server: Server = await serve(
        answering(NONSENSE[request.param]), "127.0.0.1", 0, subprotocols=[SUBPROTOCOL]
    )
    async with server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}"


async def test_a_server_speaking_nonsense_is_one_sentence(nonsense_server: str) -> None:
    """The welcome screen says the address does not speak Fireside, instead of "Connecting…"."""
    app = FiresideApp(Entry(nonsense_server, "Ana"), enter_now=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, WelcomeScreen) and app.screen.problem)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.screen.problem == (
            f"The server at {nonsense_server} does not speak Fireside's protocol; "
            "check the address."
        )
        assert not app.screen.query(StatusLine)
