"""When the server goes down (close 1001) the client keeps its seat and keeps trying to resume."""

from textual.message import Message

from client.app import FiresideApp
from client.entry import Entry
from client.messages import CouldNotEnter, LinkClosed, LinkDown
from client.widgets.status_line import StatusLine
from client.widgets.transcript import Transcript
from server.app import start_server
from server.config import ServerConfig
from shared.seats import Phase
from tests.client.drive import WireMember, in_room, session_of, until


async def test_a_server_shutdown_keeps_the_client_resuming() -> None:
    """After 1001 the status says it is reconnecting, attempts go on, and the transcript stays."""
    running = await start_server(ServerConfig(port=0))
    seen: list[Message] = []
    app = FiresideApp(Entry(f"ws://127.0.0.1:{running.port}", "Ana"), enter_now=True)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await until(pilot, lambda: in_room(app))
        room = session_of(app)
        await running.close()
        # The first drop, then at least one failed attempt on a port nobody serves any more.
        await until(pilot, lambda: sum(isinstance(m, LinkDown) for m in seen) >= 2)
        assert room.query_one(StatusLine).sentence == "Connection lost — reconnecting…"
        assert not any(isinstance(m, CouldNotEnter | LinkClosed) for m in seen)
        assert room.query_one(Transcript).seqs == [1]
        assert room.link.ticket is not None


async def test_after_the_end_a_closed_connection_is_not_resumed() -> None:
    """Once the partner has left, a server shutdown ends the link instead of retrying forever."""
    running = await start_server(ServerConfig(port=0))
    url = f"ws://127.0.0.1:{running.port}"
    seen: list[Message] = []
    app = FiresideApp(Entry(url, "Ana"), enter_now=True)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await until(pilot, lambda: in_room(app))
        room = session_of(app)
        ben = await WireMember.join(url, room.code, "Ben")
        await ben.send(t="leave")
        await until(pilot, lambda: room.room.phase is Phase.ENDED)
        await running.close()
        await until(pilot, lambda: any(isinstance(m, LinkClosed) for m in seen))
        assert not any(isinstance(m, LinkDown) for m in seen)
        assert room.query_one(StatusLine).sentence == (
            "The session has ended and the connection is closed."
        )
