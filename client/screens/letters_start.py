"""The first visit to letters: start them (and read the invite aloud) or join the partner's."""

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from client.entry import Entry
from client.saved_seats import SeatShelf
from client.settings import Settings
from shared.crypto.invite import InviteError, parse_invite
from shared.seats import Mode

INTRO = (
    "Letters are for two people rarely awake at the same time. One of you proposes a "
    "question; each answers in their own time, sealed until both are in; then each says back "
    "what they heard, and the next question opens once both felt heard. You pair once, now, "
    "with your partner on the phone; after that, each comes back whenever they like."
)


class LettersStartScreen(Screen[None]):
    """Start the letters, or join with the partner's invite; then the letters screen."""

    CSS_PATH = "letters_start.tcss"

    def __init__(self, settings: Settings, shelf: SeatShelf, problem: str = "") -> None:
        super().__init__()
        self.settings = settings
        self.shelf = shelf
        self.problem = problem
        """Why the last attempt did not get in, shown under the choices."""

    def compose(self) -> ComposeResult:
        with Vertical(id="letters-start"):
            yield Static(Text("Fireside letters", style="bold"), id="title")
            yield Static(INTRO, id="intro")
            yield Label(f"Server: {self.settings.server}")
            yield Label("Your partner's invite (to join their letters)")
            yield Input(
                placeholder="e.g. K7M2Q-X9P4R-orbit-velvet-canyon", id="invite", compact=True
            )
            with Horizontal(id="choices"):
                yield Button("Start letters", id="start", variant="primary", compact=True)
                yield Button("Join with the invite", id="join", compact=True)
            yield Static(Text(self.problem), id="problem")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False
        self.query_one("#start", Button).focus()

    @on(Button.Pressed, "#start")
    def start(self) -> None:
        self.enter(Entry(self.settings.server, self.settings.name, mode=Mode.LETTERS))

    @on(Button.Pressed, "#join")
    @on(Input.Submitted, "#invite")
    def join(self) -> None:
        typed = self.query_one("#invite", Input).value.strip()
        if not typed:
            self.show_problem("Type the invite your partner read to you, then join.")
            return
        try:
            invite = parse_invite(typed)
        except InviteError as exc:
            self.show_problem(str(exc))
            return
        self.enter(Entry(self.settings.server, self.settings.name, invite, mode=Mode.LETTERS))

    def enter(self, entry: Entry) -> None:
        from client.screens.letters import LettersScreen  # the network and crypto only now

        self.app.switch_screen(LettersScreen(entry, self.settings, self.shelf))

    def show_problem(self, sentence: str) -> None:
        """One sentence under the choices, as plain text: it may echo what was typed."""
        self.problem = sentence
        self.query_one("#problem", Static).update(Text(sentence))
