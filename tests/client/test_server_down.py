"""When the server goes down (close 1001) the client keeps its seat and keeps trying to resume."""

from textual.message import Message

from client.app import FiresideApp
from client.entry import Entry
from client.messages import CouldNotEnter, LinkClosed, LinkDown
from client.widgets.status_line import StatusLine
from client.widgets.transcript import Transcript
from server.app import start_server
from server.config import ServerConfig
from tests.client.drive import in_room, session_of, until


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
