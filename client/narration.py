"""How each room event reads in the transcript: calm sentences, partner text kept literal."""

from dataclasses import dataclass

from rich.text import Text

from client.seat.opened import Opened
from client.seat.sealed import MISMATCHED
from shared.events import EventKind
from shared.seats import NodKind, Seat

NOD_WORDS = {
    NodKind.HEART: "♥",
    NodKind.HEAR: "I hear you",
    NodKind.TIME: "take your time",
}

UNSHOWN = frozenset({EventKind.PAKE, EventKind.VERIFY})
"""The pairing's own steps: bytes for the two clients, nothing for the people to read."""


@dataclass(frozen=True)
class Line:
    """One transcript entry: a style class for the `.tcss` and the words, never parsed as markup."""

    tone: str
    text: Text


def who(opened: Opened, seat: Seat, me: Seat) -> str:
    """`You` for this person, else the name the partner sealed in `hello` (plain text)."""
    if seat is me:
        return "You"
    return opened.names.get(seat) or "Your partner"


def narrate(opened: Opened, me: Seat, *, continues: bool = False) -> Line | None:
    """The transcript line for `opened`, as `me` sees it, or None for what is not shown.

    `continues` drops a repeated name.
    """
    kind = opened.kind
    if kind in UNSHOWN or (kind is EventKind.HELLO and opened.by is me):
        return None
    by = who(opened, opened.by, me)
    said = Text(opened.text or "")
    if kind is EventKind.ASK:
        heading = f"{by} asked · round {opened.state.round}"
        return Line("question", Text.assemble((heading, "bold"), "\n", said))
    if kind is EventKind.PROPOSE:
        heading = f"{by} proposed · letter {opened.state.round}"
        return Line("question", Text.assemble((heading, "bold"), "\n", said))
    if kind is EventKind.REVEAL:
        return Line("words", Text.assemble((f"{by} answered", "bold"), "\n", said))
    if kind is EventKind.SAY:
        return Line("words", said if continues else Text.assemble((by, "bold"), "\n", said))
    if kind is EventKind.REFLECT:
        return Line("reflection", Text.assemble((f"{by} reflected back", "bold"), "\n", said))
    if kind is EventKind.NOTE:
        heading = f"{by} left a closing note"
        return Line("reflection", Text.assemble((heading, "bold"), "\n", said))
    if kind is EventKind.NOD:
        nod = NOD_WORDS[opened.event.nod] if opened.event.nod is not None else "nodded"
        return Line("nod", Text.assemble(f"{by}: ", (nod, "bold")))
    return Line("quiet", Text(_quiet_sentence(opened, me)))


def _quiet_sentence(opened: Opened, me: Seat) -> str:
    """The small print: presence, the pairing, and the moves that carry no words."""
    by = who(opened, opened.by, me)
    other = "you" if opened.by.partner is me else who(opened, opened.by.partner, me)
    mine = opened.by is me
    is_, has = ("are", "have") if mine else ("is", "has")
    sentences = {
        EventKind.JOINED: f"{by} joined the room.",
        EventKind.HELLO: f"Paired with {by}: only the two of you can read what is said here.",
        EventKind.MISMATCH: MISMATCHED,
        EventKind.AWAY: f"{by} lost the connection for a moment.",
        EventKind.BACK: f"{by} {is_} back.",
        EventKind.HANDOVER: f"{by} handed the asking to {other}.",
        EventKind.DONE: f"{by} finished sharing. Time to reflect back what was heard.",
        EventKind.DECLINE: f"{by} would rather not answer that one; another question is welcome.",
        EventKind.CONFIRM: f"{by} felt heard. Round {opened.state.round}: the roles swap.",
        EventKind.MORE: f"{by} {has} more to say.",
        EventKind.LEFT: f"{by} left. The session has ended.",
        EventKind.ANSWER: f"{by} answered; it stays sealed until both have.",
    }
    return sentences[opened.kind]
