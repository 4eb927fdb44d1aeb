"""`fireside demo`: an in-memory server on 127.0.0.1, the person's window, and Sam."""

from pathlib import Path

from textual import events
from textual.app import App

from client.app import FiresideApp
from client.entry import Entry
from client.screens.demo_session import DemoSessionScreen
from client.settings import Settings
from server.app import RunningServer, start_server
from server.config import ServerConfig

DEMO_HOST = "127.0.0.1"
"""The demo's server listens on loopback only: nothing of the practice leaves the machine."""


class DemoApp(FiresideApp):
    """Fireside straight into a practice room; leaving it closes the app."""

    # A relative CSS_PATH is read beside the class that names it: this one is the app's own.
    CSS_PATH = str(Path(__file__).parent.parent / "app.tcss")

    def __init__(
        self, entry: Entry, *, pace: float = 1.0, settings: Settings | None = None
    ) -> None:
        # The person's theme and bell, as `fireside host` and `join` have them: the practice
        # should look and sound like the real thing.
        super().__init__(entry, keep_seats=False, settings=settings)
        self.pace = pace

    # The Mount event is taken here to stop FiresideApp's handler: hence the other signature.
    def on_mount(self, event: events.Mount) -> None:  # type: ignore[override]
        # Not FiresideApp's welcome screen: Textual would call its on_mount after this one.
        event.prevent_default()
        self.push_screen(DemoSessionScreen(self.entry, pace=self.pace), callback=self._left)
        self.tell_settings_problems()

    def _left(self, sentence: str | None) -> None:
        self.exit(message=sentence)


async def start_demo_server() -> RunningServer:
    """A server for one practice room, in memory, on loopback and a free port."""
    return await start_server(ServerConfig(host=DEMO_HOST, port=0))


def demo_entry(server: RunningServer, name: str, words: tuple[str, ...] | None = None) -> Entry:
    """The person's entry into a new practice room: no journal, fixed words when given."""
    url = f"ws://{DEMO_HOST}:{server.port}"
    if words is None:
        return Entry(url, name, journal=False)
    return Entry(url, name, drawn=words, journal=False)


async def run_demo(name: str, settings: Settings, *, pace: float = 1.0) -> None:
    """Practise until the window closes, then stop the server."""
    running = await start_demo_server()
    try:
        app: App[None] = DemoApp(demo_entry(running, name), pace=pace, settings=settings)
        await app.run_async()
    finally:
        await running.close()
