"""How the welcome, invite, asking, listening and help screens look at a fixed size."""

from typing import Any

from textual.pilot import Pilot

from client.app import FiresideApp
from client.entry import Entry
from client.screens.phrase_dialog import PhraseDialog
from client.widgets.status_line import StatusLine
from client.widgets.typing_indicator import TypingIndicator
from shared.events import EventKind
from shared.seats import Phase
from tests.client.drive import in_room, session_of, until
from tests.client.snapshot_room import SIZE, ServerThread, SnapCompare, entering, settle


def test_welcome_screen(snap_compare: SnapCompare) -> None:
    """The welcome form with a server, a name and no code yet."""
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))
    assert snap_compare(app, terminal_size=SIZE)


def test_invite_screen(snap_compare: SnapCompare, server_thread: ServerThread) -> None:
    """The new room: the invite with its words, the partner's command, and the calm wait."""
    app = entering(server_thread)

    async def waiting(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: in_room(app))
        await until(pilot, lambda: session_of(app).query_one(StatusLine).sentence.endswith("…"))
        await settle(pilot, Phase.WAITING)

    assert snap_compare(app, terminal_size=SIZE, run_before=waiting)


def test_asking_screen(snap_compare: SnapCompare, server_thread: ServerThread) -> None:
    """The asker's turn after pairing: cards beside the transcript, the composer open."""
    app = entering(server_thread)

    async def partner_pairs(pilot: Pilot[Any]) -> None:
        await server_thread.ben_pairs(pilot)
        await settle(pilot, Phase.ASKING)

    assert snap_compare(app, terminal_size=SIZE, run_before=partner_pairs)


def test_phrase_dialog(snap_compare: SnapCompare) -> None:
    """F7's dialog: four words and what to do with them (a fixed phrase, as the key is random)."""
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))

    async def show_phrase(pilot: Pilot[Any]) -> None:
        await pilot.app.push_screen(PhraseDialog("orbit velvet canyon fossil"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=show_phrase)


def test_help_screen(snap_compare: SnapCompare) -> None:
    """F1's guide at 80x24: read whole, with no scrollbar, and how to close it in the border."""
    app = FiresideApp(Entry("ws://192.0.2.10:8765", "Ana"))
    assert snap_compare(app, terminal_size=SIZE, press=["f1"])


def test_listening_screen(snap_compare: SnapCompare, server_thread: ServerThread) -> None:
    """The listener while the partner shares: the banner, the closed composer and the nods."""
    app = entering(server_thread)

    async def partner_answers(pilot: Pilot[Any]) -> None:
        ben = await server_thread.ben_pairs(pilot)
        await pilot.press("f8")
        await until(pilot, lambda: session_of(app).room.phase is Phase.SHARING)
        await server_thread.run(ben.until_kind(EventKind.ASK))
        await server_thread.run(ben.say("It was a long day; the walk helped."))
        await server_thread.run(ben.send(t="typing", on=True))
        await until(pilot, lambda: session_of(app).query_one(TypingIndicator).writer == "Ben")
        await settle(pilot, Phase.SHARING)

    assert snap_compare(app, terminal_size=SIZE, run_before=partner_answers)


def test_sharing_screen(snap_compare: SnapCompare, server_thread: ServerThread) -> None:
    """The speaker mid-answer: the question above, one message sent, more being written."""
    app = entering(server_thread)

    async def ana_shares(pilot: Pilot[Any]) -> None:
        ben = await server_thread.ben_asks(pilot, "What is something small that made you smile?")
        await pilot.press(*"The neighbour's dog, waiting at the gate.", "ctrl+s")
        await server_thread.run(ben.until_kind(EventKind.SAY))
        await pilot.press(*"Every morning, like it")
        await settle(pilot, Phase.SHARING)

    assert snap_compare(app, terminal_size=SIZE, run_before=ana_shares)
