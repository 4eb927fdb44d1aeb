"""Whoever learns the nameplate and guesses the words gets one try, learns nothing, and burns it."""

from shared.crypto.invite import WORDS, invite_code, parse_invite
from shared.errors import ErrorCode
from shared.events import EventKind
from shared.seats import Phase
from tests.e2e.partner import partner
from tests.e2e.relay import Relay

SEALED = {"hello", "ask", "say", "reflect"}
BURNED = "this room was closed after a pairing that did not match; start a new room"


def guess(invite: str) -> str:
    """The invite's nameplate with three other words: all an eavesdropper on the server has."""
    parsed = parse_invite(invite)
    words = [word for word in WORDS if word not in parsed.words][:3]
    return invite_code(parsed.nameplate, words)


async def test_a_wrong_guess_that_joins_first_burns_the_room_and_nothing_is_sealed(
    wire: Relay,
) -> None:
    """Ana sees `mismatch`, Ben's later join is `ended` as burned, and Ana sealed no box at all."""
    async with partner(wire.port, "Ana") as ana, partner(wire.port, "Mallory") as mallory:
        invite = await ana.create()
        await mallory.join(guess(invite))
        await ana.until(lambda: ana.mismatched, "the mismatch")
        await mallory.until(lambda: bool(mallory.events[-1:]), "the log")
        await ana.until(lambda: ana.events[-1].kind is EventKind.MISMATCH, "the mismatch event")
        async with partner(wire.port, "Ben") as ben:
            await ben.join(invite)
            await ben.until(lambda: bool(ben.errors), "the answer to join")

    assert ana.events[-1].state.phase is Phase.ENDED
    assert [(e.code, e.message) for e in ben.errors] == [(ErrorCode.ENDED, BURNED)]
    assert ben.seat is None
    # Ana paired with the guess and found out from its `verify`, before sealing anything.
    assert ana.key is not None
    assert ana.opened == []
    assert mallory.names == {}
    from_ana = [message["t"] for message in wire.sent(0, "up")]
    assert from_ana[:2] == ["create", "pake"]
    assert "mismatch" in from_ana
    assert SEALED.isdisjoint(from_ana)
    to_mallory = [event for reply in wire.sent(1, "down") for event in reply.get("events", [reply])]
    assert not [event for event in to_mallory if "box" in event]
