"""What a refused `create`, `join` or `resume` means for the seat, in one sentence."""

from dataclasses import dataclass

from client.seat.sealed import MISMATCHED
from shared.errors import ErrorCode
from shared.events import ErrorReply
from shared.messages import Create, Join, Resume

_ENTRY_REFUSALS = {
    ErrorCode.NO_ROOM: "No room has that code. Check it with your partner and try again.",
    ErrorCode.ROOM_FULL: "That room already has two people in it.",
    ErrorCode.RATE_LIMITED: "Too many attempts from here; wait a minute and try again.",
    # docs/protocol.md, Mismatch and burning: a room whose pairing did not match is burned.
    ErrorCode.ENDED: MISMATCHED,
}
ROOM_GONE = "The server lost this room (did it restart?), so this session cannot go on."
SEAT_GONE = "The server no longer has your seat in room {code}, so this saved session is forgotten."


@dataclass(frozen=True)
class Refusal:
    """The link stops: why, whether it never got in, and whether the saved seat is gone."""

    sentence: str
    entering: bool
    """Refused before any seat was held: the first attempt failed."""
    seat_gone: bool


def entry_refusal(
    error: ErrorReply, entry: Create | Join | Resume, *, seated_before: bool
) -> Refusal | None:
    """How `error`, the answer to our first message on a connection, ends the link; None
    while a seat held before may still come back (a busy server, say)."""
    seat_gone = error.code in (ErrorCode.BAD_TOKEN, ErrorCode.NO_ROOM)
    if seated_before:
        return Refusal(ROOM_GONE, entering=False, seat_gone=True) if seat_gone else None
    if isinstance(entry, Resume) and seat_gone:
        return Refusal(SEAT_GONE.format(code=entry.code), entering=True, seat_gone=True)
    sentence = _ENTRY_REFUSALS.get(error.code, f"The server refused: {error.message}.")
    return Refusal(sentence, entering=True, seat_gone=False)
