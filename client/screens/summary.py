"""The end of a session: rounds, questions, time together, and the closing notes."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from client.seat.opened import Opened
from shared.events import EventKind
from shared.seats import Phase, Seat


@dataclass(frozen=True)
class Summary:
    """What the summary shows; built from the opened log so it never reads markup."""

    me: str
    partner: str
    rounds: int
    questions: int
    minutes: int
    my_note: str | None = None
    partner_note: str | None = None
    leaving: str | None = None
    """Where this seat's own leave stands (client/leaving.py); None when the partner left."""
    heard: bool = True
    """The server has recorded the end: said quietly, not as a warning."""
    alone: bool = False
    """No one ever joined the room: there are no rounds or notes to speak of."""

    @classmethod
    def of(
        cls,
        log: Sequence[Opened],
        me: Seat,
        names: Mapping[Seat, str | None],
        my_note: str | None = None,
        leaving: str | None = None,
    ) -> "Summary":
        """Count rounds and questions and read the notes from `log`; `my_note` until it is back."""
        partner = me.partner
        notes = {o.by: o.text for o in log if o.kind is EventKind.NOTE}
        confirmed = sum(o.kind is EventKind.CONFIRM for o in log)
        times = [o.event.at for o in log]
        minutes = round((max(times) - min(times)) / 60_000) if times else 0
        return cls(
            me=names.get(me) or "You",
            partner=names.get(partner) or "your partner",
            rounds=confirmed,
            questions=sum(o.kind is EventKind.ASK for o in log),
            minutes=minutes,
            my_note=notes.get(me, my_note),
            partner_note=notes.get(partner),
            leaving=leaving,
            heard=bool(log) and log[-1].state.phase is Phase.ENDED,
            alone=not partner_joined(log, me),
        )


def partner_joined(log: Sequence[Opened], me: Seat) -> bool:
    """Whether the partner's seat was ever taken: a room left before anyone joined has no
    partner to tell or to hear a note from."""
    return any(o.kind is EventKind.JOINED and o.by is me.partner for o in log)


class SummaryScreen(Screen[None]):
    """Shown once the session has ended for this seat; enter, q or escape closes the app."""

    CSS_PATH = "summary.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,q,escape", "close", "Close"),
    ]

    def __init__(self, summary: Summary) -> None:
        super().__init__()
        self.summary = summary
        self._parts: tuple[Static, Static, Static] | None = None
        """The counts and the two notes, once composed."""
        self._title = Static(id="title")
        self._leaving = Static(id="leaving")

    def compose(self) -> ComposeResult:
        counts, partner_note, my_note = _parts(self.summary)
        self._parts = (
            Static(counts, id="counts"),
            Static(partner_note, id="partner-note"),
            Static(my_note, id="my-note"),
        )
        self._show_leaving()
        with Vertical(id="summary"):
            yield self._title
            yield self._leaving
            yield self._parts[0]
            with VerticalScroll(id="notes"):
                yield self._parts[1]
                yield self._parts[2]
            yield Static("enter, q or escape closes Fireside", id="hint")

    def show(self, summary: Summary) -> None:
        """Show `summary`; called again as events (a late note, `left`) arrive."""
        self.summary = summary
        self._show_leaving()
        if self._parts is not None:
            for part, text in zip(self._parts, _parts(summary), strict=True):
                part.update(text)

    def _show_leaving(self) -> None:
        """The title and the line about this seat's leave: it has not ended until it is heard."""
        heard = self.summary.heard
        self._title.update("The session has ended" if heard else "You have left the session")
        leaving = self.summary.leaving
        self._leaving.update(Text(leaving or ""))
        self._leaving.display = leaving is not None
        # Said as a warning until the server has heard; quietly once it has.
        self._leaving.set_class(not heard, "waiting")

    def action_close(self) -> None:
        self.app.exit()


def _parts(s: Summary) -> tuple[Text, Text, Text]:
    """The counts, the partner's note and this seat's own, as plain text; in a room no one
    joined, one sentence and no notes."""
    if s.alone:
        return Text("No one joined this room, so there was no session to count."), Text(), Text()
    rounds = "round" if s.rounds == 1 else "rounds"
    questions = "question" if s.questions == 1 else "questions"
    minutes = "minute" if s.minutes == 1 else "minutes"
    counts = Text(
        f"{s.me} and {s.partner}: {s.rounds} {rounds} completed, "
        f"{s.questions} {questions} asked, {s.minutes} {minutes} together."
    )
    return (
        counts,
        _note(f"{s.partner}'s note for you", s.partner_note, "No note from them."),
        _note(f"Your note for {s.partner}", s.my_note, "You left no note."),
    )


def _note(heading: str, text: str | None, missing: str) -> Text:
    """A heading and a note, the note as plain text whatever it holds."""
    shown = Text()
    shown.append(f"{heading}\n", style="bold")
    if text:
        shown.append(text)
    else:
        shown.append(missing, style="italic")
    return shown
