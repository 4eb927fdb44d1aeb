"""The Fireside application: themes, global keys, and the first screen."""

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from client.entry import Entry
from client.saved_seats import SeatShelf
from client.screens.help import HelpScreen
from client.screens.quit_dialog import QuitDialog
from client.screens.session import SessionScreen
from client.screens.welcome import WelcomeScreen


class FiresideApp(App[None]):
    """Starts on the welcome screen; with `enter_now` it goes straight into the room.

    With `keep_seats` each seat is kept on disk (client/saved_seats.py) so a closed
    window can come back; off for `fireside host`, whose room dies with the window.
    """

    TITLE = "Fireside"
    CSS_PATH = "app.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        # Quitting leaves the room, which ends it for both: the session screen asks first.
        Binding("ctrl+q", "request_quit", "Quit", priority=True),
    ]

    def __init__(self, entry: Entry, *, enter_now: bool = False, keep_seats: bool = True) -> None:
        super().__init__()
        self.entry = entry
        self.enter_now = enter_now
        self.shelf = SeatShelf.default() if keep_seats else None

    def on_mount(self) -> None:
        self.push_screen(WelcomeScreen(self.entry, enter_now=self.enter_now, shelf=self.shelf))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_request_quit(self) -> None:
        sessions = [screen for screen in self.screen_stack if isinstance(screen, SessionScreen)]
        if not sessions:
            self.exit()
        elif not isinstance(self.screen, QuitDialog):
            sessions[-1].ask_to_quit()
