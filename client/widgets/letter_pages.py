"""Every letter of the room, the open one last: the question, each side's answer, what was heard.

Partner words are rich `Text`, never markup: `[bold]x[/bold]` shows as those characters.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from client.letters_story import when
from client.seat.opened import Opened
from shared.events import EventKind
from shared.seats import Seat


class LetterPages(VerticalScroll):
    """The letters as one page to scroll: past letters stay readable above the open one."""

    def compose(self) -> ComposeResult:
        yield Static(id="pages-text")

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
        self.query_one("#pages-text", Static).update(pages(log, me, names, zone, now))
        if at_bottom:
            self.call_after_refresh(self.scroll_end, animate=False)


def pages(
    log: Sequence[Opened],
    me: Seat,
    names: Mapping[Seat, str | None],
    zone: tzinfo,
    now: datetime,
) -> Text:
    """The letters in `log` as plain text with a little style, the open letter last."""
    partner = names.get(me.partner) or "Your partner"

    def who(seat: Seat) -> str:
        return "You" if seat is me else partner

    def at(opened: Opened) -> str:
        return when(opened.event.at, now, zone)

    page = Text()
    number = 0
    answered: dict[Seat, Opened] = {}
    revealed = False
    for opened in log:
        kind = opened.kind
        if kind is EventKind.PROPOSE:
            number += 1
            answered, revealed = {}, False
            if number > 1:
                page.append("\n")
            page.append(f"Letter {number}", style="bold")
            page.append(f" · {who(opened.by)} proposed it, {at(opened)}\n", style="dim")
            page.append(Text(opened.text or "", style="bold"))
            page.append("\n")
        elif kind is EventKind.ANSWER:
            answered[opened.by] = opened
        elif kind is EventKind.REVEAL:
            revealed = True
            page.append(f"\n{who(opened.by)} wrote", style="bold")
            page.append(f" ({at(answered[opened.by]) if opened.by in answered else at(opened)}):\n")
            page.append(_indented(opened.text))
        elif kind is EventKind.REFLECT:
            heard_in = "your answer" if opened.by is not me else f"{partner}'s answer"
            page.append(f"\n{who(opened.by)} heard in {heard_in}", style="bold")
            page.append(f" ({at(opened)}):\n")
            page.append(_indented(opened.text, style="italic"))
        elif kind is EventKind.SAY:
            page.append(f"\n{who(opened.by)} added", style="bold")
            page.append(f" ({at(opened)}):\n")
            page.append(_indented(opened.text))
        elif kind in _MOVES:
            page.append(f"\n{who(opened.by)} {_MOVES[kind]}\n", style="dim")
    if number and not revealed:
        page.append(_sealed(answered, me, partner, at))
    if not number:
        page.append("No letters yet: the first question opens when one of you proposes it.\n")
    return page


_MOVES = {
    EventKind.CONFIRM: "felt heard.",
    EventKind.MORE: "said there's more.",
    EventKind.LEFT: "ended the letters.",
}


def _indented(text: str | None, style: str = "") -> Text:
    lines = (text or "").splitlines() or [""]
    return Text("".join(f"  {line}\n" for line in lines), style=style)


def _sealed(
    answered: Mapping[Seat, Opened], me: Seat, partner: str, at: Callable[[Opened], str]
) -> Text:
    """Each side's state while the answers are withheld: sealed, or not yet written."""
    lines = Text("\n")
    mine = answered.get(me)
    theirs = answered.get(me.partner)
    if mine is not None:
        lines.append(f"You answered at {at(mine)} — sealed until {partner} answers\n")
    else:
        lines.append("You haven't answered yet\n")
    if theirs is not None:
        lines.append(f"{partner} answered at {at(theirs)} — sealed until you answer\n")
    else:
        lines.append(f"{partner} hasn't answered yet\n")
    return lines
