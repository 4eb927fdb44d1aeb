"""A TCP relay between one client and the test server: the link can go down, come back on the
same address, or hold back what the server sends, while the server and the room go on."""

import asyncio
import contextlib


class Relay:
    """Listens on 127.0.0.1 and passes every connection on to the server at `target_port`.

    `down()` refuses new connections and cuts the open ones, as a network that is gone;
    `up()` listens again on the same port, so a seat saved with `url` still finds it.
    `hold()` keeps the server's bytes back until `release()`: they arrive late, not never.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._listener: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def __aenter__(self) -> "Relay":
        await self.up()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.down()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def up(self) -> None:
        self._listener = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._listener.sockets[0].getsockname()[1]

    async def down(self) -> None:
        if self._listener is not None:
            self._listener.close()
            await self._listener.wait_closed()
            self._listener = None
        for writer in self._writers:
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._writers.clear()

    def hold(self) -> None:
        self._flowing.clear()

    def release(self) -> None:
        self._flowing.set()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        pumps = (
            asyncio.create_task(self._pump(reader, up_writer, held=False)),
            asyncio.create_task(self._pump(up_reader, writer, held=True)),
        )
        for pump in pumps:
            self._tasks.add(pump)
            pump.add_done_callback(self._tasks.discard)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, held: bool
    ) -> None:
        """Copy one direction until it ends; the server's direction waits while held."""
        with contextlib.suppress(OSError, RuntimeError):
            while data := await reader.read(65536):
                if held:
                    await self._flowing.wait()
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()  # a FIN goes on as a FIN: the close handshake needs it
