"""How each room event reads in the transcript: calm sentences, partner text kept literal."""

from dataclasses import dataclass

from rich.text import Text

from shared.events import Event, EventKind
from shared.seats import NodKind, Seat

NOD_WORDS = {
    NodKind.HEART: "♥",
    NodKind.HEAR: "I hear you",
    NodKind.TIME: "take your time",
}


@dataclass(frozen=True)
class Line:
    """One transcript entry: a style class for the `.tcss` and the words, never parsed as markup."""

    tone: str
    text: Text


def who(event: Event, seat: Seat, me: Seat) -> str:
    """`You` for this person, else the name the partner typed (plain text)."""
    if seat is me:
        return "You"
    return event.state.names.get(seat) or "Your partner"


def narrate(event: Event, me: Seat, *, continues: bool = False) -> Line:
    """The transcript line for `event`, as `me` sees it; `continues` drops a repeated name."""
    by = who(event, event.by, me)
    said = Text(event.text or "")
    kind = event.kind
    if kind is EventKind.ASK:
        heading = f"{by} asked · round {event.state.round}"
        return Line("question", Text.assemble((heading, "bold"), "\n", said))
    if kind is EventKind.SAY:
        return Line("words", said if continues else Text.assemble((by, "bold"), "\n", said))
    if kind is EventKind.REFLECT:
        return Line("reflection", Text.assemble((f"{by} reflected back", "bold"), "\n", said))
    if kind is EventKind.NOD:
        nod = NOD_WORDS[event.nod] if event.nod is not None else "nodded"
        return Line("nod", Text.assemble(f"{by}: ", (nod, "bold")))
    return Line("quiet", Text(_quiet_sentence(event, me)))


def _quiet_sentence(event: Event, me: Seat) -> str:
    """The small print: presence and the moves that carry no words."""
    by = who(event, event.by, me)
    other = "you" if event.by.partner is me else who(event, event.by.partner, me)
    mine = event.by is me
    is_, has = ("are", "have") if mine else ("is", "has")
    sentences = {
        EventKind.JOINED: f"{by} joined the room.",
        EventKind.AWAY: f"{by} lost the connection for a moment.",
        EventKind.BACK: f"{by} {is_} back.",
        EventKind.HANDOVER: f"{by} handed the asking to {other}.",
        EventKind.DONE: f"{by} finished sharing. Time to reflect back what was heard.",
        EventKind.DECLINE: f"{by} would rather not answer that one; another question is welcome.",
        EventKind.CONFIRM: f"{by} felt heard. Round {event.state.round}: the roles swap.",
        EventKind.MORE: f"{by} {has} more to say.",
        EventKind.LEFT: f"{by} left. The session has ended.",
    }
    return sentences[event.kind]
