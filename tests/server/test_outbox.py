"""The outbox: order kept, close after what was queued, and a reader that never reads."""

import asyncio

from server.outbox import WRITE_LIMIT, Outbox
from shared.codec import decode_reply, encode
from shared.events import TypingNotice
from shared.seats import Seat
from tests.timing import seconds


class FakeTransport(asyncio.WriteTransport):
    """A write buffer of a fixed size, and whether the connection was dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = 0
        self.aborted = asyncio.Event()

    def get_write_buffer_size(self) -> int:
        return self.waiting

    def abort(self) -> None:
        self.aborted.set()


class FakeWire:
    """Records frames and closes; `stuck` makes every send (and close) wait forever."""

    def __init__(self, *, stuck: bool = False, close_stuck: bool = False) -> None:
        self.frames: list[bytes] = []
        self.closes: list[tuple[int, str]] = []
        self.stuck = stuck
        self.close_stuck = close_stuck
        self.closed = asyncio.Event()
        self.transport = FakeTransport()

    async def send(self, message: bytes) -> None:
        if self.stuck:
            await asyncio.Event().wait()
        self.frames.append(message)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closes.append((code, reason))
        self.closed.set()
        if self.close_stuck:
            await asyncio.Event().wait()


async def test_replies_go_out_in_order_and_the_close_after_them() -> None:
    """What is sent before `close` is written first, in order; nothing after it is."""
    wire = FakeWire()
    outbox = Outbox(wire, limit=10)
    for on in (True, False, True):
        outbox.send(TypingNotice(Seat.A, on))
    outbox.close(4001, "taken over")
    outbox.send(TypingNotice(Seat.B, True))
    await asyncio.wait_for(wire.closed.wait(), seconds(1))
    assert [decode_reply(frame)["on"] for frame in wire.frames] == [True, False, True]
    assert wire.closes == [(4001, "taken over")]
    await outbox.finish()


async def test_a_reader_that_never_reads_is_closed_with_1008() -> None:
    """Past the limit of waiting replies, the connection is closed at once with 1008."""
    wire = FakeWire(stuck=True)
    outbox = Outbox(wire, limit=3)
    for _ in range(5):
        outbox.send(TypingNotice(Seat.A, True))
    await asyncio.wait_for(wire.closed.wait(), seconds(1))
    assert wire.closes == [(1008, "too slow to read")]
    assert outbox.closing
    await outbox.finish()


async def test_past_the_byte_limit_the_reader_is_closed_and_its_queue_let_go() -> None:
    """Replies past `max_bytes` close with 1008, and the queued bytes are released at once."""
    wire = FakeWire(stuck=True)
    outbox = Outbox(wire, limit=1000, max_bytes=100)
    notice = TypingNotice(Seat.A, True)
    size = len(encode(notice.to_wire()))
    for _ in range(100 // size):
        outbox.send(notice)
    assert outbox.buffered == 100 // size * size
    assert not outbox.closing
    outbox.send(notice)
    await asyncio.wait_for(wire.closed.wait(), seconds(1))
    assert wire.closes == [(1008, "too slow to read")]
    assert outbox.buffered == 0
    await outbox.finish()


async def test_a_reply_that_cannot_go_out_in_time_closes_with_1008() -> None:
    """One reply stuck for `write_timeout` gives the reader up, though the queue is short."""
    wire = FakeWire(stuck=True)
    outbox = Outbox(wire, limit=1000, write_timeout=0.05)
    outbox.send(TypingNotice(Seat.A, True))
    await asyncio.wait_for(wire.closed.wait(), seconds(1))
    assert wire.closes == [(1008, "too slow to read")]
    assert not wire.transport.aborted.is_set()
    await outbox.finish()


async def test_a_close_that_cannot_finish_drops_the_connection() -> None:
    """When even the close hangs (nothing drains), the TCP connection is aborted after a while."""
    wire = FakeWire(stuck=True, close_stuck=True)
    outbox = Outbox(wire, limit=1000, write_timeout=0.05, close_timeout=0.05)
    outbox.send(TypingNotice(Seat.A, True))
    await asyncio.wait_for(wire.transport.aborted.wait(), seconds(1))
    assert wire.closes == [(1008, "too slow to read")]
    await outbox.finish()


async def test_a_normal_close_that_hangs_drops_the_connection_too() -> None:
    """A 1000 or 4001 close to a peer that reads nothing is bounded by `close_timeout` as well."""
    wire = FakeWire(close_stuck=True)
    outbox = Outbox(wire, limit=10, close_timeout=0.05)
    outbox.close(4001, "taken over")
    await asyncio.wait_for(wire.transport.aborted.wait(), seconds(1))
    assert wire.closes == [(4001, "taken over")]
    await outbox.finish()


async def test_with_write_now_replies_skip_the_queue_until_the_reader_lags() -> None:
    """Frames go out at once while the socket's buffer is low; past WRITE_LIMIT they queue,
    and order holds across the two ways out."""
    wire = FakeWire()
    written: list[bytes] = []
    outbox = Outbox(wire, limit=10, write_now=written.append)
    outbox.send(TypingNotice(Seat.A, True))
    assert len(written) == 1, "written in the call itself, with no task"
    wire.transport.waiting = WRITE_LIMIT
    outbox.send(TypingNotice(Seat.A, False))
    wire.transport.waiting = 0
    outbox.send(TypingNotice(Seat.B, True))
    assert len(written) == 1, "queued behind the frame that waits, though the buffer emptied"
    outbox.close(1000, "left")
    await asyncio.wait_for(wire.closed.wait(), seconds(1))
    sent = [decode_reply(frame) for frame in written + wire.frames]
    assert [(reply["by"], reply["on"]) for reply in sent] == [
        ("a", True),
        ("a", False),
        ("b", True),
    ]
    await outbox.finish()


async def test_an_idle_outbox_holds_no_task() -> None:
    """Nothing queued, nothing running: an idle connection costs no writer task."""
    wire = FakeWire()
    outbox = Outbox(wire, limit=10)
    outbox.send(TypingNotice(Seat.A, True))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert wire.frames
    assert asyncio.all_tasks() == {asyncio.current_task()}
    await outbox.finish()
