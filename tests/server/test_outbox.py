"""The outbox: order kept, close after what was queued, and a reader that never reads."""

import asyncio

from server.outbox import Outbox
from shared.codec import decode_reply
from shared.events import TypingNotice
from shared.seats import Seat
from tests.timing import seconds


class FakeWire:
    """Records frames and closes; `stuck` makes every send wait forever, like a full buffer."""

    def __init__(self, *, stuck: bool = False) -> None:
        self.frames: list[bytes] = []
        self.closes: list[tuple[int, str]] = []
        self.stuck = stuck
        self.closed = asyncio.Event()

    async def send(self, message: bytes) -> None:
        if self.stuck:
            await asyncio.Event().wait()
        self.frames.append(message)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closes.append((code, reason))
        self.closed.set()


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
