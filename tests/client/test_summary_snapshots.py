"""How the session's end looks: the end dialog with its note box, and the summary, fixed data."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen

from client.app import FiresideApp
from client.entry import Entry
from client.leaving import summary_line
from client.screens.quit_dialog import QuitDialog
from client.screens.summary import Summary, SummaryScreen

SnapCompare = Callable[..., bool]
SUMMARY = Summary(
    me="Ana",
    partner="Ben",
    rounds=3,
    questions=4,
    minutes=42,
    my_note="See you on Sunday. I loved hearing about the sea.",
    partner_note="[b]Thank you[/b] for listening so closely tonight — it meant a lot.",
)
"""Fixed names, counts and minutes: no server, no clock."""


def showing(screen: Screen[Any]) -> Callable[[Pilot[Any]], Any]:
    """A run_before that pushes `screen` over the welcome form."""

    async def push(pilot: Pilot[Any]) -> None:
        await pilot.app.push_screen(screen)
        await pilot.pause()

    return push


def test_summary_screen(snap_compare: SnapCompare) -> None:
    """The summary at 80x24: the counts, Ben's note as plain text and Ana's own."""
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=showing(SummaryScreen(SUMMARY)))


def test_summary_screen_wide(snap_compare: SnapCompare) -> None:
    """The summary at 140x40 stays a centred card."""
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))
    assert snap_compare(app, terminal_size=(140, 40), run_before=showing(SummaryScreen(SUMMARY)))


def test_end_dialog_with_note_box(snap_compare: SnapCompare) -> None:
    """The end dialog at 80x24 with the empty note box for Ben, which has the focus."""
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))
    dialog = QuitDialog("Ben", may_note=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=showing(dialog))


def test_end_dialog_with_note_box_wide(snap_compare: SnapCompare) -> None:
    """The end dialog at 140x40 stays a centred card of its own width over the dimmed screen."""
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))
    dialog = QuitDialog("Ben", may_note=True)
    assert snap_compare(app, terminal_size=(140, 40), run_before=showing(dialog))


def test_summary_screen_while_the_leave_waits(snap_compare: SnapCompare) -> None:
    """At 80x24, offline: under the title, in the warning colour, that the server has not
    heard yet and that Fireside finishes leaving later; the notes as before."""
    leaving = summary_line("Ben", ended=False, connected=False, kept=True, stopped=None)
    waiting = replace(SUMMARY, leaving=leaving, heard=False)
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=showing(SummaryScreen(waiting)))
