"""A wire client that holds every event it is sent, by seq, and fails on a seq seen twice
differently: for the tests where servers die, restart or share rooms."""

from typing import Any

from tests.server.wire import Member


class Holder:
    """What one wire client holds: every event it was sent, by `seq`, each at most once."""

    def __init__(self, connection: Member) -> None:
        self.connection = connection
        self.events: dict[int, dict[str, Any]] = {}

    @property
    def last_seq(self) -> int:
        return max(self.events, default=0)

    def hold(self, reply: dict[str, Any]) -> dict[str, Any]:
        assert reply["t"] in ("joined", "event"), reply
        for event in reply["events"] if reply["t"] == "joined" else [reply]:
            event = {**event, "t": "event"}
            kept = self.events.setdefault(event["seq"], event)
            assert kept == event, f"seq {event['seq']} came twice, differently"
        return reply

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        return self.hold(await self.connection.request(message))

    async def next(self) -> dict[str, Any]:
        return self.hold(await self.connection.recv())


NOD_BOX = bytes(12) + b"\x81\xa4kind\xa5heart" + bytes(16)
DONE_BOX = bytes(range(12)) + b"\x80" + bytes(range(16))
"""Shaped like the boxes of docs/protocol.md, Sealing: the server only keeps the bytes."""


async def move(by: Holder, other: Holder, message: dict[str, Any]) -> None:
    """`by` sends an in-room message; both hold the event it becomes."""
    await by.connection.send(message)
    mine, theirs = await by.next(), await other.next()
    assert mine == theirs, "both members must see the same event"


def seqs_of(holder: Holder) -> list[int]:
    return sorted(holder.events)
