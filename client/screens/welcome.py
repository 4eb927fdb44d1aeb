"""The first screen: resume a saved session, or pick a server and name and create or join a room."""

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from client.entry import Entry
from client.saved_seats import UNSEALED, SeatShelf
from client.widgets.resume_offers import ResumeOffers
from shared.crypto.invite import InviteError, parse_invite
from shared.fields import name_problem

INTRO = (
    "Fireside is a quiet place for two people far apart to really talk. "
    "You take turns: one asks, the other shares while the asker just listens, "
    "then the asker says back what they heard. No judging, no fixing."
)


class WelcomeScreen(Screen[None]):
    """Fill in the server and a name, then create a room or join your partner's."""

    CSS_PATH = "welcome.tcss"

    def __init__(
        self, entry: Entry, *, enter_now: bool = False, shelf: SeatShelf | None = None
    ) -> None:
        super().__init__()
        self.entry = entry
        self.enter_now = enter_now
        self.shelf = shelf
        """Where seats are kept for `fireside resume`; None keeps nothing (`fireside host`)."""
        self.problem = ""
        """The sentence shown under the form: why the last attempt did not get in."""

    def compose(self) -> ComposeResult:
        with Vertical(id="welcome"):
            yield Static(Text("Fireside", style="bold"), id="title")
            saved = self.shelf.offers() if self.shelf is not None else []
            yield ResumeOffers(saved, id="saved")
            # Someone coming back knows what Fireside is; the room goes to their sessions.
            intro = Static(INTRO, id="intro")
            intro.display = not saved
            yield intro
            yield Label("Server")
            yield Input(self.entry.server, id="server", compact=True)
            yield Label("Your name")
            yield Input(self.entry.name, id="name", compact=True)
            yield Label("Invite (to join your partner)")
            yield Input(
                self.entry.typed_invite,
                placeholder="e.g. K7M2Q-X9P4R-orbit-velvet-canyon",
                id="code",
                compact=True,
            )
            with Horizontal(id="choices"):
                yield Button("Create a room", id="create", variant="primary", compact=True)
                yield Button("Join with the invite", id="join", compact=True)
            yield Static("", id="problem")
        yield Footer()

    def on_mount(self) -> None:
        for field in self.query(Input):
            # A steady cursor: a blinking one repaints twice a second while nobody types.
            field.cursor_blink = False
        if self.enter_now:
            self.enter(self.entry)
        elif self.query_one(ResumeOffers).seats:
            self.query_one(ResumeOffers).query(Button).first().focus()
        else:
            self.query_one("#code" if self.entry.invite else "#name", Input).focus()

    @on(ResumeOffers.Chosen)
    async def resume(self, message: ResumeOffers.Chosen) -> None:
        seat = message.seat
        if seat.resumable:
            self.enter(Entry.resuming(seat))
            return
        # A fireside.1 seat has no room key: nothing in its room could be read again.
        if self.shelf is not None:
            self.shelf.forget(seat.server, seat.code)
        await self._came_back(UNSEALED.format(code=seat.code))

    @on(Button.Pressed, "#create")
    def create(self) -> None:
        self._enter_with(typed=None)

    @on(Button.Pressed, "#join")
    @on(Input.Submitted, "#code")
    def join(self) -> None:
        typed = self.query_one("#code", Input).value.strip()
        if not typed:
            self.show_problem("Type the invite your partner gave you, then join.")
            return
        self._enter_with(typed=typed)

    @on(Input.Submitted, "#server, #name")
    def next_field(self) -> None:
        self.focus_next()

    def _enter_with(self, typed: str | None) -> None:
        """Check the form, then enter; an invite that cannot be read sends nothing at all."""
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
        if typed is None:
            self.enter(Entry(server, name, invite_servers=self.entry.invite_servers))
            return
        try:
            invite = parse_invite(typed)
        except InviteError as exc:
            self.show_problem(str(exc))
            return
        self.enter(Entry(server, name, invite, self.entry.invite_servers))

    def enter(self, entry: Entry) -> None:
        """Open the session; if the room cannot be entered, come back here and say why."""
        self.show_problem("")
        from client.screens.session import SessionScreen  # only now: see client/app.py

        self.app.push_screen(SessionScreen(entry, self.shelf), callback=self._came_back)

    async def _came_back(self, sentence: str | None) -> None:
        if sentence:
            self.show_problem(sentence)
        if self.shelf is not None:
            # A refused resume forgets its seat: offer only what is still there.
            await self.query_one(ResumeOffers).show(self.shelf.offers())

    def show_problem(self, sentence: str) -> None:
        """One clear sentence under the form (plain text: it may echo what was typed)."""
        self.problem = sentence
        self.query_one("#problem", Static).update(Text(sentence))
