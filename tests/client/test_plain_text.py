"""Everything the partner wrote is shown literally: no markup, no links."""

from textual.content import Content

from client.app import FiresideApp
from client.entry import Entry
from client.widgets.session_header import SessionHeader
from client.widgets.transcript import TranscriptEntry
from client.widgets.typing_indicator import TypingIndicator
from shared.events import EventKind
from shared.seats import Phase
from tests.client.drive import paired_partner, session_of, until

MARKUP = "[bold]x[/] and [link=http://x]y[/link]"
NAME = "[i]Ben[/]"


async def test_partner_markup_is_shown_literally(server_url: str) -> None:
    """A partner's name, question and answer full of markup appear character for character."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(100, 30)) as pilot:
        ben = await paired_partner(pilot, ana, NAME)
        room = session_of(ana)
        await pilot.press("f2")  # hand the asking to Ben
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.HANDOVER)
        await ben.ask(f"Q {MARKUP}")
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        await pilot.press(*"mine", "ctrl+s")
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.SAY)
        await pilot.press("f3")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        await ben.send(t="typing", on=True)
        await until(pilot, lambda: room.query_one(TypingIndicator).writer is not None)
        await ben.reflect(f"R {MARKUP}")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)

        shown = [str(entry.render()) for entry in room.query(TranscriptEntry)]
        assert any(f"Q {MARKUP}" in line for line in shown)
        assert any(f"R {MARKUP}" in line for line in shown)
        assert any(line.startswith(f"Paired with {NAME}:") for line in shown)
        assert NAME in str(room.query_one(SessionHeader).render())
        for entry in room.query(TranscriptEntry):
            visual = entry.visual
            assert isinstance(visual, Content)
            assert not any("link" in str(span.style) for span in visual.spans)
        await ben.close()
