"""Quitting asks first and leaving ends the session for the partner; F1 explains the flow."""

import asyncio
import logging

import pytest
from textual import events
from textual.containers import VerticalScroll
from textual.widgets import Static, TextArea

from client.app import FiresideApp
from client.entry import Entry
from client.screens.help import HelpScreen
from client.screens.quit_dialog import QuitDialog
from client.screens.session import SessionScreen
from client.screens.summary import SummaryScreen
from client.widgets.turn_prompt import TurnPrompt
from shared.events import EventKind
from shared.messages import MessageType
from shared.seats import Phase, Seat
from tests.client.drive import burst, paired_partner, session_of, until
from tests.timing import seconds


async def test_quit_asks_first_and_leaving_ends_the_session(server_url: str) -> None:
    """ctrl+q asks; escape stays, ctrl+s sends `leave`, the partner sees `left`, the summary
    follows."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(80, 24)) as pilot:
        ben = await paired_partner(pilot, ana)

        await pilot.press("f1", "ctrl+q", "ctrl+q")
        assert isinstance(ana.screen, QuitDialog)
        assert sum(isinstance(screen, QuitDialog) for screen in ana.screen_stack) == 1
        await pilot.press("escape")
        assert not isinstance(ana.screen, QuitDialog)
        await pilot.press("ctrl+q", "ctrl+s")
        left = await ben.until_kind(EventKind.LEFT)
        assert left.event.by is Seat.A
        assert [heard.kind for heard in ben.heard].count(EventKind.NOTE) == 0
        await until(pilot, lambda: isinstance(ana.screen, SummaryScreen))
        await pilot.press("enter")
        await until(pilot, lambda: not ana.is_running)
        await ben.close()


@pytest.mark.parametrize("before", ["", "\t"], ids=["at-once", "after-tab"])
async def test_a_note_typed_in_one_burst_lands_whole_in_the_note(
    server_url: str, before: str
) -> None:
    """ctrl+q and a note in one burst, a tab in front of it or not: every letter, `y` and
    `n` too, is in the note in order, the dialog stays open, and ctrl+s leaves with it."""
    note = "yes, and no: thank you"
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(80, 24)) as pilot:
        ben = await paired_partner(pilot, ana)
        for key in [events.Key("ctrl+q", None), *burst(before + note)]:
            ana.post_message(key)
        await pilot.pause()
        dialog = ana.screen
        assert isinstance(dialog, QuitDialog)
        assert "closing note for Ben" in str(dialog.query_one("#note-label", Static).render())
        assert dialog.query_one("#note", TextArea).text == note
        assert session_of(ana).room.phase is Phase.ASKING
        await pilot.press("ctrl+s")
        heard = await ben.until_kind(EventKind.NOTE)
        assert (heard.event.by, heard.text) == (Seat.A, note)
        assert (await ben.until_kind(EventKind.LEFT)).event.by is Seat.A
        await ben.close()


async def test_escape_keeps_the_room_and_drops_the_note(server_url: str) -> None:
    """Escape from a half-written note stays in the room, and nothing was sent."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(80, 24)) as pilot:
        await paired_partner(pilot, ana)
        await pilot.press("ctrl+q", *"yes", "escape")
        assert isinstance(ana.screen, SessionScreen)
        assert session_of(ana).room.phase is Phase.ASKING
        assert [opened.kind for opened in session_of(ana).room_log].count(EventKind.NOTE) == 0


async def test_both_notes_and_the_round_reach_the_summary(server_url: str) -> None:
    """After a round Ben leaves a note, Ana writes hers and leaves: her summary shows both."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(80, 24)) as pilot:
        ben = await paired_partner(pilot, ana)
        room = session_of(ana)
        await pilot.press("f8")
        await ben.until_kind(EventKind.ASK)
        await ben.say("The sea")
        await ben.send(t="done")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        await pilot.press(*"the sea", "ctrl+s")
        await ben.until_kind(EventKind.REFLECT)
        await ben.send(t="confirm")
        await until(pilot, lambda: room.room.round == 2)
        await ben.send_box("note", ben.seal(MessageType.NOTE, {"text": "[b]Thank you[/b]"}))
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.NOTE)

        await pilot.press("ctrl+q")
        assert isinstance(ana.screen, QuitDialog)
        await pilot.press(*"See you soon", "ctrl+s")
        assert (await ben.until_kind(EventKind.NOTE)).event.by is Seat.B
        note = await ben.until_kind(EventKind.NOTE)
        assert (note.event.by, note.text) == (Seat.A, "See you soon")
        assert (await ben.until_kind(EventKind.LEFT)).event.by is Seat.A

        await until(pilot, lambda: isinstance(ana.screen, SummaryScreen))
        summary = ana.screen
        assert isinstance(summary, SummaryScreen)
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.LEFT)
        shown = " ".join(
            str(summary.query_one(f"#{part}", Static).render())
            for part in ("counts", "partner-note", "my-note")
        )
        assert "1 round completed, 1 question asked" in shown
        assert "Ben's note for you\n[b]Thank you[/b]" in shown
        assert "Your note for Ben\nSee you soon" in shown
        await pilot.press("q")
        await until(pilot, lambda: not ana.is_running)
        await ben.close()


async def test_the_partner_leaving_is_said_calmly(server_url: str) -> None:
    """When the partner leaves, the room shows it has ended, then the summary; ctrl+q quits."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(80, 24)) as pilot:
        ben = await paired_partner(pilot, ana)
        room = session_of(ana)
        await ben.send(t="leave")
        await until(pilot, lambda: room.room.phase is Phase.ENDED)
        assert room.room_log[-1].kind is EventKind.LEFT
        assert "The session has ended" in str(room.query_one(TurnPrompt).render())
        await until(pilot, lambda: isinstance(ana.screen, SummaryScreen))
        assert "No note from them." in str(ana.screen.query_one("#partner-note", Static).render())
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not ana.is_running)


async def test_a_quitting_window_closes_its_connection_as_going_away(
    server_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Quitting closes the websocket with 1001, so the server never logs it as a fault (1011)."""
    caplog.set_level(logging.INFO, logger="server.net")
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(80, 24)) as pilot:
        ben = await paired_partner(pilot, ana)
        await ben.send(t="leave")
        await until(pilot, lambda: session_of(ana).room.phase is Phase.ENDED)
        await pilot.press("ctrl+q")

    def closes() -> list[str]:
        return [r.getMessage() for r in caplog.records if "closed with code" in r.getMessage()]

    # The server logs each close once its handler has finished; give it a moment.
    for _ in range(int(seconds(3) / 0.02)):
        if len(closes()) == 2:
            break
        await asyncio.sleep(0.02)
    assert sorted(line.rsplit(" ", 1)[1] for line in closes()) == ["1000", "1001"]


async def test_f1_explains_the_flow_and_listening_mode() -> None:
    """F1 opens the guide to ask → share → reflect → confirm → swap; escape closes it."""
    app = FiresideApp(Entry("ws://127.0.0.1:9", "Ana"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        guide = str(app.screen.query_one("#guide Static").render())
        for step in ("Ask.", "Share.", "Reflect.", "Confirm.", "Swap.", "Listening mode"):
            assert step in guide
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_guide_is_read_whole_at_80_by_24() -> None:
    """At 80x24 the guide fits its box: nothing to scroll, its last words in sight."""
    app = FiresideApp(Entry("ws://127.0.0.1:9", "Ana"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        guide = app.screen.query_one("#guide", VerticalScroll)
        assert guide.max_scroll_y == 0
        assert not guide.show_vertical_scrollbar
        assert guide.region.bottom <= 24
