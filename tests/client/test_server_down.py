"""When the server goes down (close 1001) the client keeps its seat and keeps trying to resume."""

from textual.message import Message

from client.app import FiresideApp
from client.entry import Entry
from client.messages import CouldNotEnter, LinkClosed, LinkDown
from client.saved_seats import SeatShelf
from client.widgets.status_line import StatusLine
from client.widgets.transcript import Transcript
from server.app import start_server
from server.config import ServerConfig
from shared.seats import Phase
from tests.client.drive import in_room, paired_partner, session_of, until


def drops(seen: list[Message]) -> int:
    """LinkDowns seen; the hook sees a message again as it bubbles up, so each counts once."""
    return len({id(message) for message in seen if isinstance(message, LinkDown)})


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
        assert room.query_one(StatusLine).sentence.startswith("Connection lost — reconnecting…")
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
        ben = await paired_partner(pilot, app)
        room = session_of(app)
        await ben.send(t="leave")
        await until(pilot, lambda: room.room.phase is Phase.ENDED)
        await running.close()
        await until(pilot, lambda: any(isinstance(m, LinkClosed) for m in seen))
        assert not any(isinstance(m, LinkDown) for m in seen)
        assert room.query_one(StatusLine).sentence == (
            "The session has ended and the connection is closed."
        )


async def test_the_client_keeps_trying_until_the_server_is_back() -> None:
    """Down for seconds, the server is tried again and again, the status naming the next try.

    This server keeps rooms in memory, so once it is back the room is gone: the client
    gets that answer, says so, and forgets the saved seat. (With rooms kept on disk the
    same retries end in "Connected again.": tests/faults covers that.)
    """
    running = await start_server(ServerConfig(port=0))
    port = running.port
    seen: list[Message] = []
    app = FiresideApp(Entry(f"ws://127.0.0.1:{port}", "Ana"), enter_now=True)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await paired_partner(pilot, app)
        room = session_of(app)
        await until(pilot, lambda: SeatShelf.default().all())
        await running.close()
        # 0.2 + 0.5 + 1 + 2 seconds of failed attempts: the later ones wait whole seconds.
        await until(pilot, lambda: drops(seen) >= 5, within=8)
        assert room.query_one(StatusLine).sentence == (
            "Connection lost — reconnecting… (next try in 3 s)"
        )
        assert not any(isinstance(m, LinkClosed) for m in seen)

        running = await start_server(ServerConfig(port=port))
        try:
            await until(pilot, lambda: any(isinstance(m, LinkClosed) for m in seen), within=8)
        finally:
            await running.close()
        assert room.query_one(StatusLine).sentence == (
            "The server lost this room (did it restart?), so this session cannot go on."
        )
        assert SeatShelf.default().all() == []
