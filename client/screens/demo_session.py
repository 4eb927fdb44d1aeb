"""The practice room of `fireside demo`: the real session screen, with Sam joining its invite."""

from textual.app import ComposeResult
from textual.worker import Worker, WorkerState

from client.demo.partner import DemoPartner
from client.entry import Entry
from client.messages import Seated
from client.screens.session import SessionScreen
from client.widgets.demo_banner import DemoBanner
from client.widgets.status_line import StatusLine


class DemoSessionScreen(SessionScreen):
    """A session like any other, under a practice banner; Sam joins once the room is made.

    `pace` scales Sam's pauses (client/demo/partner.py); nothing is kept on disk.
    """

    def __init__(self, entry: Entry, *, pace: float = 1.0) -> None:
        super().__init__(entry, shelf=None)
        self.pace = pace
        self.partner: DemoPartner | None = None

    def compose(self) -> ComposeResult:
        yield DemoBanner(id="demo")
        yield from super().compose()

    def on_seated(self, message: Seated) -> None:
        # Textual calls SessionScreen.on_seated too, after this one: read the invite here.
        invite = self.entry.invite_for(message.joined.code)
        if invite is not None and self.partner is None:
            self.partner = DemoPartner(self.link.url, invite, pace=self.pace)
            self.run_worker(self.partner.run(), group="demo", exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # SessionScreen's own handler runs as well and reports the link's worker.
        if event.worker.group == "demo" and event.state is WorkerState.ERROR:
            self.query_one(StatusLine).say(
                f"Sam stopped unexpectedly: {event.worker.error}", trouble=True
            )
