"""The first screen: which server, your name, and create a room or join one with a code."""

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from client.entry import Entry
from client.screens.session import SessionScreen
from shared.fields import name_problem

INTRO = (
    "Fireside is a quiet place for two people far apart to really talk. "
    "You take turns: one asks, the other shares while the asker just listens, "
    "then the asker says back what they heard. No judging, no fixing."
)


class WelcomeScreen(Screen[None]):
    """Fill in the server and a name, then create a room or join your partner's."""

    CSS_PATH = "welcome.tcss"

    def __init__(self, entry: Entry, *, enter_now: bool = False) -> None:
        super().__init__()
        self.entry = entry
        self.enter_now = enter_now
        self.problem = ""
        """The sentence shown under the form: why the last attempt did not get in."""

    def compose(self) -> ComposeResult:
        with Vertical(id="welcome"):
            yield Static(Text("Fireside", style="bold"), id="title")
            yield Static(INTRO, id="intro")
            yield Label("Server")
            yield Input(self.entry.server, id="server", compact=True)
            yield Label("Your name")
            yield Input(self.entry.name, id="name", compact=True)
            yield Label("Room code (to join your partner)")
            yield Input(
                self.entry.code or "", placeholder="e.g. 7KQ2M-XW9PD", id="code", compact=True
            )
            with Horizontal(id="choices"):
                yield Button("Create a room", id="create", variant="primary", compact=True)
                yield Button("Join with the code", id="join", compact=True)
            yield Static("", id="problem")
        yield Footer()

    def on_mount(self) -> None:
        if self.enter_now:
            self.enter(self.entry)
        else:
            self.query_one("#code" if self.entry.code else "#name", Input).focus()

    @on(Button.Pressed, "#create")
    def create(self) -> None:
        self._enter_with(code=None)

    @on(Button.Pressed, "#join")
    @on(Input.Submitted, "#code")
    def join(self) -> None:
        code = self.query_one("#code", Input).value.strip()
        if not code:
            self.show_problem("Type the room code your partner gave you, then join.")
            return
        self._enter_with(code=code)

    @on(Input.Submitted, "#server, #name")
    def next_field(self) -> None:
        self.focus_next()

    def _enter_with(self, code: str | None) -> None:
        server = self.query_one("#server", Input).value.strip()
        name = self.query_one("#name", Input).value.strip()
        if not server.startswith(("ws://", "wss://")):
            self.show_problem(
                "The server address starts with ws:// or wss://, e.g. ws://host:8765."
            )
            return
        problem = name_problem(name)
        if problem is not None:
            self.show_problem(f"Your name {problem}.")
            return
        self.enter(Entry(server, name, code, self.entry.invite_servers))

    def enter(self, entry: Entry) -> None:
        """Open the session; if the room cannot be entered, come back here and say why."""
        self.show_problem("")
        self.app.push_screen(SessionScreen(entry), callback=self._came_back)

    def _came_back(self, sentence: str | None) -> None:
        if sentence:
            self.show_problem(sentence)

    def show_problem(self, sentence: str) -> None:
        """One clear sentence under the form (plain text: it may echo what was typed)."""
        self.problem = sentence
        self.query_one("#problem", Static).update(Text(sentence))
