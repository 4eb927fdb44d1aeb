"""The transcript's small print, folded: comings and goings read once, nods run on one line."""

from rich.text import Text

from client.narration import NOD_WORDS, Line, who
from client.seat.opened import Opened
from shared.events import EventKind
from shared.seats import Seat

PRESENCE = frozenset({EventKind.AWAY, EventKind.BACK})


def presence_line(opened: Opened, me: Seat, last: Opened | None) -> Line | None:
    """The one line a partner's return earns, or None for what the transcript leaves out.

    One's own drop is the status line's news, and the partner's absence the
    header's ("away"); once they are back a single quiet line says so, and a
    run of drops (a server restart) reads as one.
    """
    if opened.by is me or opened.kind is EventKind.AWAY:
        return None
    if last is not None and last.kind is EventKind.BACK and last.by is opened.by:
        return None
    return Line("quiet", Text(f"{who(opened, opened.by, me)} was away for a moment."))


def nod_words(opened: Opened) -> str:
    """What a nod says: a glyph or two or three words."""
    nod = opened.event.nod
    return NOD_WORDS[nod] if nod is not None else "nodded"


def more_nods(line: Text, opened: Opened) -> Text:
    """`line` with one more nod from the same person run on after a dot."""
    return Text.assemble(line, " · ", (nod_words(opened), "bold"))
