"""The letters app: the first-visit screen, or straight back into the saved letters room."""

import sys
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from client.entry import Entry
from client.saved_seats import SavedSeat, SeatShelf
from client.settings import Settings
from shared.crypto.invite import InviteError
from shared.seats import Mode

APP_CSS = Path(__file__).parent / "app.tcss"
"""The live app's styles (themes, dialogs); absolute, since CSS_PATH is read beside the
module of the class (shared/field-notes.md)."""


class LettersApp(App[None]):
    """`fireside letters`: quitting keeps the letters; only F9 (or `--end`) ends them."""

    TITLE = "Fireside letters"
    CSS_PATH = APP_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        # A letter waits for days: closing the window is not leaving, so it asks nothing.
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, entry: Entry | None, settings: Settings, shelf: SeatShelf) -> None:
        super().__init__()
        self.settings = settings
        if settings.theme in self.available_themes:
            self.theme = settings.theme
        self.entry = entry
        self.shelf = shelf

    def on_mount(self) -> None:
        if self.entry is None:
            from client.screens.letters_start import LettersStartScreen

            self.push_screen(LettersStartScreen(self.settings, self.shelf))
        else:
            from client.screens.letters import LettersScreen

            self.push_screen(LettersScreen(self.entry, self.settings, self.shelf))
        if self.settings.problem is not None:
            self.notify(self.settings.problem, title="Settings", severity="warning", timeout=10)


def letters_entry(saved: SavedSeat | None, settings: Settings, invite: str | None) -> Entry | None:
    """Back to the saved seat, into the partner's room with `invite`, or None to ask first.

    InviteError for an invite that cannot be read.
    """
    if saved is not None:
        return Entry.resuming(saved)
    if invite is not None:
        return replace(Entry.joining(settings.server, settings.name, invite), mode=Mode.LETTERS)
    return None


def run_letters(saved: SavedSeat | None, settings: Settings, *, invite: str | None) -> int:
    """Run the letters app until the person quits; 2 for an invite that cannot be read."""
    try:
        entry = letters_entry(saved, settings, invite)
    except InviteError as exc:
        print(f"fireside: {exc}", file=sys.stderr)
        return 2
    if entry is not None:
        entry = replace(entry, journal=settings.journal)
    LettersApp(entry, settings, SeatShelf.letters()).run()
    return 0
