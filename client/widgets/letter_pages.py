"""Every letter of the room, the open one last: the question, each side's answer, what was heard.

Partner words are rich `Text`, never markup: `[bold]x[/bold]` shows as those characters.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from client.letters_story import when
from client.seat.opened import Opened
from shared.events import EventKind
from shared.seats import Seat


@dataclass(frozen=True)
class Passage:
    """One block of the page: a style class for the `.tcss` (the words are indented there, so
    a wrapped line keeps its indent) and the words, never parsed as markup."""

    tone: str
    text: Text


class LetterPages(VerticalScroll):
    """The letters as one page to scroll: past letters stay readable above the open one."""

    def show(
        self,
        log: Sequence[Opened],
        me: Seat,
        names: Mapping[Seat, str | None],
        zone: tzinfo,
        now: datetime,
    ) -> None:
        """Bring the page in line with the log; it follows the bottom if it was there."""
        at_bottom = self.scroll_y >= self.max_scroll_y
        with self.app.batch_update():
            self.remove_children()
            self.mount_all(
                Static(passage.text, classes=passage.tone)
                for passage in pages(log, me, names, zone, now)
            )
        if at_bottom:
            self.call_after_refresh(self.scroll_end, animate=False)

    @property
    def plain(self) -> str:
        """What the page says, as plain text: for tests and a screen reader's sake alike."""
        return "\n".join(str(static.content) for static in self.query(Static))


def pages(
    log: Sequence[Opened],
    me: Seat,
    names: Mapping[Seat, str | None],
    zone: tzinfo,
    now: datetime,
) -> list[Passage]:
    """The letters in `log` as passages of plain text, the open letter last."""
    partner = names.get(me.partner) or "Your partner"

    def who(seat: Seat) -> str:
        return "You" if seat is me else partner

    def at(opened: Opened) -> str:
        return when(opened.event.at, now, zone)

    def heading(words: str, opened: Opened) -> Passage:
        return Passage("heading", Text.assemble((words, "bold"), f" ({at(opened)}):"))

    page: list[Passage] = []
    number = 0
    answered: dict[Seat, Opened] = {}
    revealed = False
    for opened in log:
        kind = opened.kind
        if kind is EventKind.PROPOSE:
            number += 1
            answered, revealed = {}, False
            title = Text.assemble(
                (f"Letter {number}", "bold"),
                (f" · {who(opened.by)} proposed it, {at(opened)}", "dim"),
            )
            page.append(Passage("letter", title))
            page.append(Passage("question", Text(opened.text or "", style="bold")))
        elif kind is EventKind.ANSWER:
            answered[opened.by] = opened
        elif kind is EventKind.REVEAL:
            revealed = True
            page.append(heading(f"{who(opened.by)} wrote", answered.get(opened.by, opened)))
            page.append(Passage("words", Text(opened.text or "")))
        elif kind is EventKind.REFLECT:
            heard_in = "your answer" if opened.by is not me else f"{partner}'s answer"
            page.append(heading(f"{who(opened.by)} heard in {heard_in}", opened))
            page.append(Passage("reflection", Text(opened.text or "")))
        elif kind is EventKind.SAY:
            page.append(heading(f"{who(opened.by)} added", opened))
            page.append(Passage("words", Text(opened.text or "")))
        elif kind in _MOVES:
            page.append(Passage("quiet", Text(f"{who(opened.by)} {_MOVES[kind]}")))
    if number and not revealed:
        page.extend(_sealed(answered, me, partner, at))
    if not number:
        words = "No letters yet: the first question opens when one of you proposes it."
        page.append(Passage("quiet", Text(words)))
    return page


_MOVES = {
    EventKind.CONFIRM: "felt heard.",
    EventKind.MORE: "said there's more.",
    EventKind.LEFT: "ended the letters.",
}


def _sealed(
    answered: Mapping[Seat, Opened], me: Seat, partner: str, at: Callable[[Opened], str]
) -> list[Passage]:
    """Each side's state while the answers are withheld: sealed, or not yet written."""
    mine = answered.get(me)
    theirs = answered.get(me.partner)
    if mine is not None:
        first = f"You answered at {at(mine)} — sealed until {partner} answers"
    else:
        first = "You haven't answered yet"
    if theirs is not None:
        second = f"{partner} answered at {at(theirs)} — sealed until you answer"
    else:
        second = f"{partner} hasn't answered yet"
    return [Passage("state first", Text(first)), Passage("state", Text(second))]
