"""The Fireside application: themes, global keys, and the first screen.

The session screen, and with it websockets and the crypto, is imported once a room
is entered or asked about, not before: the welcome screen paints without it (issue 6).
"""

from collections.abc import Iterable
from dataclasses import replace
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from client.entry import Entry
from client.palette import session_commands
from client.saved_seats import SavedSeat, SeatShelf
from client.screens.help import HelpScreen
from client.screens.quit_dialog import QuitDialog
from client.screens.welcome import WelcomeScreen
from client.settings import Settings, remember


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

    def __init__(
        self,
        entry: Entry,
        *,
        enter_now: bool = False,
        keep_seats: bool = True,
        settings: Settings | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings if settings is not None else Settings()
        """The merged settings (client/settings.py); a theme chosen here is written back."""
        self._theme_problem: str | None = None
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        else:
            self._theme_problem = f"There is no theme called {self.settings.theme!r}."
        self.entry = entry
        self.enter_now = enter_now
        self.shelf = SeatShelf.default() if keep_seats else None

    def on_mount(self) -> None:
        self.push_screen(WelcomeScreen(self.entry, enter_now=self.enter_now, shelf=self.shelf))
        self.tell_settings_problems()

    def tell_settings_problems(self) -> None:
        """A config file, variable or theme that could not be used, said once, calmly."""
        for problem in (self.settings.problem, self._theme_problem):
            if problem is not None:
                self.notify(problem, title="Settings", severity="warning", timeout=10)
        if self.shelf is not None:
            for seat in self.shelf.leaving():
                self.run_worker(self._finish_leaving(seat), group="leaving", exit_on_error=False)

    async def _finish_leaving(self, seat: SavedSeat) -> None:
        """A leave the server never heard is finished now, unasked: the person chose it."""
        from client.leaving import finish_leaving  # only for such a seat: see the docstring

        assert self.shelf is not None
        parted = await finish_leaving(seat, self.shelf)
        if parted.finished:
            self.notify(parted.sentence, title="Leaving", timeout=15)
        else:
            self.notify(parted.sentence, title="Leaving", severity="warning", timeout=15)

    def watch_theme(self, theme: str) -> None:
        """A theme chosen in the command palette is remembered in the config file."""
        if theme == self.settings.theme or not self.is_running:
            return
        self.settings = replace(self.settings, theme=theme)
        try:
            remember("theme", theme)
        except OSError as exc:
            self.notify(f"The theme could not be saved: {exc}", severity="warning")

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's commands, our quit (which asks first) and help, and the session's moves."""
        from client.screens.session import SessionScreen

        for command in super().get_system_commands(screen):
            if command.title != "Quit":
                yield command
        yield SystemCommand("Help", "How a session works, and every key (F1)", self.action_help)
        yield SystemCommand(
            "Quit", "Leave the room and close Fireside (ctrl+q)", self.action_request_quit
        )
        if isinstance(screen, SessionScreen):
            yield from session_commands(screen)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_request_quit(self) -> None:
        from client.screens.session import SessionScreen

        sessions = [screen for screen in self.screen_stack if isinstance(screen, SessionScreen)]
        if not sessions:
            self.exit()
        elif not isinstance(self.screen, QuitDialog):
            sessions[-1].ask_to_quit()
