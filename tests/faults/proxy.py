"""An in-process TCP proxy that cuts, stalls, delays and blackholes connections on purpose.

Clients connect to the proxy; each accepted connection gets its own upstream
connection to the server, and two pumps copy bytes across, one per direction.
A `Plan` says what goes wrong on one connection, at exact byte offsets
counted per direction, so a fault lands anywhere: inside the HTTP handshake,
between two frames or in the middle of one.
"""

import asyncio
import contextlib
import random
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

CHUNK = 65536


class Direction(Enum):
    """Which way the bytes go: `UP` from the client to the server, `DOWN` back."""

    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class Cut:
    """Close both sides once `at` bytes have gone `direction`: RST when `reset`, else FIN."""

    direction: Direction
    at: int
    reset: bool


@dataclass(frozen=True)
class Stall:
    """Forward nothing more `direction` for `seconds` once `at` bytes have gone that way."""

    direction: Direction
    at: int
    seconds: float


@dataclass(frozen=True)
class Plan:
    """What goes wrong on one connection; the default plan is a healthy connection."""

    latency: float = 0.0
    """Seconds every chunk waits before it is passed on, both ways."""
    stall: Stall | None = None
    cut: Cut | None = None

    def after(self, passed: dict[Direction, int]) -> "Plan":
        """This plan for a connection that has already passed `passed` bytes each way."""
        stall, cut = self.stall, self.cut
        if stall is not None:
            stall = Stall(stall.direction, stall.at + passed[stall.direction], stall.seconds)
        if cut is not None:
            cut = Cut(cut.direction, cut.at + passed[cut.direction], cut.reset)
        return Plan(self.latency, stall, cut)


Planner = Callable[[], Plan]
"""Makes the plan for each connection accepted while the proxy is armed."""


@dataclass
class RandomFaults:
    """Plans drawn from a seeded `random.Random`: by default every connection is cut somewhere."""

    rng: random.Random
    cut_chance: float = 1.0
    stall_chance: float = 0.3
    up_span: int = 800
    """Cuts going up land in the first `up_span` bytes the client sends."""
    down_span: int = 3000
    """Cuts going down land in the first `down_span` bytes the server sends."""
    max_stall: float = 0.15
    max_latency: float = 0.004

    def __call__(self) -> Plan:
        rng = self.rng
        latency = rng.uniform(0, self.max_latency) if rng.random() < 0.5 else 0.0
        stall = cut = None
        if rng.random() < self.stall_chance:
            direction = rng.choice(list(Direction))
            stall = Stall(direction, self._offset(direction), rng.uniform(0.01, self.max_stall))
        if rng.random() < self.cut_chance:
            direction = rng.choice(list(Direction))
            cut = Cut(direction, self._offset(direction), reset=rng.random() < 0.5)
        return Plan(latency, stall, cut)

    def _offset(self, direction: Direction) -> int:
        span = self.up_span if direction is Direction.UP else self.down_span
        return self.rng.randrange(span)


class _Severed(Exception):
    """The plan's cut was reached: stop both pumps."""


@dataclass(eq=False)
class ProxiedConnection:
    """One client connection and its upstream twin, with the bytes passed each way."""

    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    plan: Plan
    passed: dict[Direction, int] = field(default_factory=lambda: dict.fromkeys(Direction, 0))
    flowing: asyncio.Event = field(default_factory=asyncio.Event)
    """Cleared by `FaultProxy.blackhole`: nothing moves either way, and nothing closes."""
    cut: bool = False

    def __post_init__(self) -> None:
        self.flowing.set()

    def sever(self, *, reset: bool) -> None:
        """Close both sockets at once; with `reset`, an RST instead of a FIN."""
        self.cut = True
        for writer in (self.client, self.server):
            if reset:
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                writer.transport.abort()
            else:
                writer.close()


class FaultProxy:
    """Listens on 127.0.0.1 and passes every connection on to `target_port`, with faults.

    `planner` is None while the proxy is calm: connections accepted then get a
    healthy plan. Set it to arm the proxy; `calm()` disarms it and lifts every
    pending fault. `cuts` counts the cuts that really happened.

    `close()` is a network that is gone (new connections refused, open ones cut); `start()`
    again listens on the same port, so an address saved earlier finds it. `hold(direction)`
    keeps that direction's bytes back until `release()`: they arrive late, not never.
    """

    def __init__(self, target_port: int, planner: Planner | None = None) -> None:
        self.target_port = target_port
        self.planner = planner
        self.cuts = 0
        self.stalls = 0
        self.accepted = 0
        self.connections: set[ProxiedConnection] = set()
        """The connections whose pumps still run; a finished one is let go."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Server | None = None
        self._moving = {direction: asyncio.Event() for direction in Direction}
        for moving in self._moving.values():
            moving.set()
        self.port = 0

    async def start(self) -> "FaultProxy":
        """Listen: on a free port the first time, on the same one after a `close()`."""
        self._listener = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._listener.sockets[0].getsockname()[1]
        return self

    async def __aenter__(self) -> "FaultProxy":
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def open_connections(self) -> list[ProxiedConnection]:
        return [c for c in self.connections if not c.cut and not c.client.is_closing()]

    def arm(self, planner: Planner, *, fresh: bool = True) -> None:
        """Faults from now on: on open connections from where they are, and on new ones too
        unless `fresh` is False (a connection still entering has no resume to fall back on)."""
        if fresh:
            self.planner = planner
        for connection in self.open_connections:
            connection.plan = planner().after(connection.passed)

    def calm(self) -> None:
        """No more faults: new connections are healthy and pending cuts and stalls are lifted."""
        self.planner = None
        for connection in self.connections:
            connection.plan = Plan()
            connection.flowing.set()

    def blackhole(self) -> None:
        """Every open connection goes silent both ways without a FIN: a half-open link."""
        for connection in self.connections:
            connection.flowing.clear()

    def cut_all(self, *, reset: bool = True) -> None:
        """Cut every open connection now."""
        for connection in self.open_connections:
            connection.sever(reset=reset)
            self.cuts += 1

    def hold(self, direction: Direction) -> None:
        """Bytes going `direction` are read but not passed on until `release()`."""
        self._moving[direction].clear()

    def release(self) -> None:
        for moving in self._moving.values():
            moving.set()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        for connection in self.connections:
            connection.sever(reset=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._listener is not None:
            await self._listener.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        plan = self.planner() if self.planner is not None else Plan()
        connection = ProxiedConnection(writer, up_writer, plan)
        self.connections.add(connection)
        self.accepted += 1
        pumps = [
            asyncio.create_task(self._pump(connection, Direction.UP, reader, up_writer)),
            asyncio.create_task(self._pump(connection, Direction.DOWN, up_reader, writer)),
        ]
        self._tasks.update(pumps)
        for pump in pumps:
            pump.add_done_callback(self._tasks.discard)
        done = asyncio.gather(*pumps, return_exceptions=True)
        done.add_done_callback(lambda _: self._let_go(connection))

    def _let_go(self, connection: ProxiedConnection) -> None:
        """Both pumps ended: close what is left and forget the connection."""
        for writer in (connection.client, connection.server):
            writer.close()
        self.connections.discard(connection)

    async def _pump(
        self,
        connection: ProxiedConnection,
        direction: Direction,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """Copy one direction, splitting chunks exactly where the plan puts a fault."""
        try:
            while True:
                await connection.flowing.wait()
                data = await reader.read(CHUNK)
                if not data:
                    # A FIN from one side goes on as a FIN: the websocket close handshake needs it.
                    if writer.can_write_eof() and not writer.is_closing():
                        writer.write_eof()
                    return
                while data:
                    data = await self._pass(connection, direction, data, writer)
        except _Severed:
            return
        except (OSError, RuntimeError):
            # The other pump cut or closed this connection under us.
            return

    async def _pass(
        self,
        connection: ProxiedConnection,
        direction: Direction,
        data: bytes,
        writer: asyncio.StreamWriter,
    ) -> bytes:
        """Forward `data` up to the next fault in `direction`, trigger it; what is left."""
        plan = connection.plan
        start = connection.passed[direction]
        faults = [
            fault
            for fault in (plan.stall, plan.cut)
            if fault is not None and fault.direction is direction and fault.at < start + len(data)
        ]
        fault = min(faults, key=lambda f: f.at, default=None)
        head = data if fault is None else data[: max(fault.at - start, 0)]
        if plan.latency:
            await asyncio.sleep(plan.latency)
        await connection.flowing.wait()
        await self._moving[direction].wait()
        if head:
            if connection.cut:
                raise _Severed
            writer.write(head)
            await writer.drain()
            connection.passed[direction] += len(head)
        if fault is None:
            return b""
        if isinstance(fault, Cut):
            if not connection.cut:
                connection.sever(reset=fault.reset)
                self.cuts += 1
            raise _Severed
        connection.plan = Plan(plan.latency, None, plan.cut)
        self.stalls += 1
        await asyncio.sleep(fault.seconds)
        return data[len(head) :]
