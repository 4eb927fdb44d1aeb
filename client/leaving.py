"""Leaving the server has not heard yet: what the person is told, and finishing it later.

A seat is forgotten only once an event shows its room ended (client/saved_seats.py).
A leave made offline keeps the seat marked leaving, with its note; the next start
finishes it without asking again, since the person already chose to leave: it resumes
the seat, sends the note if the room still takes it, leaves, and forgets the seat once
the server has recorded the end, which the partner's Fireside shows at once.
"""

import asyncio
from typing import NamedTuple

from textual.message import Message

from client.connection import RoomLink
from client.messages import CouldNotEnter, LinkClosed
from client.saved_seats import SavedSeat, SeatShelf

FINISH_WITHIN = 20.0
"""Seconds a start gives an unfinished leave before trying again at the next start."""

SENDING = "Telling the server that you left…"
TOLD = "The server has heard: {partner}'s Fireside shows that the session has ended."
TOLD_ALONE = "The server has heard that you left. No one had joined the room."
OFFLINE = (
    "You are offline, so the server has not heard that you left, and {partner} does not know yet."
)
KEEP_TRYING = "Fireside keeps trying while this window is open"
NEXT_START = ", and finishes leaving the next time you start it."


def summary_line(
    partner: str | None, *, ended: bool, connected: bool, kept: bool, stopped: str | None
) -> str:
    """Where this seat's leave stands, for the summary: told, on its way, or waiting. `partner`
    is None when no one ever joined the room: then no one is told."""
    if ended:
        return TOLD_ALONE if partner is None else TOLD.format(partner=partner)
    if stopped is not None:
        return stopped
    if connected:
        return SENDING
    later = NEXT_START if kept else "."
    if partner is None:
        return f"You are offline, so the server has not heard that you left. {KEEP_TRYING}{later}"
    return f"{OFFLINE.format(partner=partner)} {KEEP_TRYING}{later}"


class Parted(NamedTuple):
    """How finishing a leave went: one sentence, and whether the seat is done with."""

    sentence: str
    finished: bool


async def finish_leaving(
    seat: SavedSeat, shelf: SeatShelf, within: float = FINISH_WITHIN
) -> Parted:
    """Finish the leave of `seat`, marked leaving.

    The seat is forgotten once the room has ended, or when the server no longer has
    it; otherwise it is kept for the next start.
    """
    heard: list[Message] = []
    link = RoomLink(
        seat.server, seat.resume_message(), heard.append, name=seat.name, saved_key=seat.key
    )
    partner = seat.partner or "your partner"
    await link.leave(seat.note)  # not connected yet: it goes out once the seat is back
    try:
        async with asyncio.timeout(within):
            await link.run()
    except TimeoutError:
        return _not_yet(seat, "the server did not answer in time.")
    if link.ended:
        shelf.forget(seat.server, seat.code)
        return Parted(
            f"You have left room {seat.code}: {partner}'s Fireside shows the session ended.", True
        )
    stopped = [m for m in heard if isinstance(m, CouldNotEnter | LinkClosed)]
    if stopped and stopped[-1].seat_gone:
        shelf.forget(seat.server, seat.code)
        return Parted(stopped[-1].sentence, True)
    return _not_yet(seat, stopped[-1].sentence if stopped else "the link stopped.")


def _not_yet(seat: SavedSeat, why: str) -> Parted:
    """The seat stays marked leaving: say why, and that the next start tries again."""
    reason = why.rstrip(".")
    return Parted(
        f"Leaving room {seat.code} is not finished yet ({reason}); "
        "Fireside tries again the next time it starts.",
        False,
    )
