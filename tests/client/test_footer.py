"""The footer's key hints fit 80 columns on every turn, and F1 Help is always among them."""

from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from client.app import FiresideApp
from client.entry import Entry
from client.screens.summary import SummaryScreen
from shared.events import EventKind
from shared.seats import Phase
from tests.client.drive import in_room, paired_partner, session_of, until

COLUMNS = 80


async def hints_fit(pilot: Pilot[Any], app: App[Any], turn: str) -> None:
    """Every key hint of the footer on screen ends inside 80 columns, before the palette's key
    if it is shown, and one of them is F1 Help."""
    await pilot.pause()
    footer = app.screen.query_one(Footer)
    keys = list(footer.query(FooterKey))
    palette = [key for key in keys if key.has_class("-command-palette")]
    hints = [key for key in keys if key not in palette]
    edge = palette[0].region.x if palette else COLUMNS
    cut = [f"{key.key_display} {key.description}" for key in hints if key.region.right > edge]
    assert not cut, f"{turn}: cut at column {edge}: {cut}"
    assert ("f1", "Help") in [(key.key, key.description) for key in hints], turn


async def test_the_key_hints_fit_80_columns_on_every_turn(server_url: str) -> None:
    """Waiting, then both rounds from both sides (asking, sharing, reflecting, confirming),
    and the end: nothing in the footer is cut, and Help is there."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(COLUMNS, 24)) as pilot:
        await until(pilot, lambda: in_room(ana))
        await hints_fit(pilot, ana, "waiting")
        ben = await paired_partner(pilot, ana)
        room = session_of(ana)

        async def reach(phase: Phase, turn: str) -> None:
            await until(pilot, lambda: room.room.phase is phase)
            await hints_fit(pilot, ana, turn)

        await reach(Phase.ASKING, "asking, Ana asks")
        await pilot.press("f8")
        await reach(Phase.SHARING, "sharing, Ana listens")
        await ben.until_kind(EventKind.ASK)
        await ben.say("The lake.")
        await ben.send(t="done")
        await reach(Phase.REFLECTING, "reflecting, Ana reflects")
        await pilot.press(*"The lake", "ctrl+s")
        await reach(Phase.CONFIRMING, "confirming, Ana listens")
        await ben.send(t="confirm")
        await reach(Phase.ASKING, "asking, Ana listens")
        await ben.ask("And you?")
        await reach(Phase.SHARING, "sharing, Ana shares")
        await pilot.press(*"The sea", "ctrl+s")
        await hints_fit(pilot, ana, "sharing, Ana shares, F3 live")
        await pilot.press("f3")
        await reach(Phase.REFLECTING, "reflecting, Ana listens")
        await ben.reflect("The sea.")
        await reach(Phase.CONFIRMING, "confirming, Ana confirms")
        await ben.send(t="leave")
        await until(pilot, lambda: isinstance(ana.screen, SummaryScreen))
        # The end is the summary, whose one hint is its own line; under it the session's
        # footer would still have to fit.
        assert room.room.phase is Phase.ENDED
        await ana.pop_screen()
        await hints_fit(pilot, ana, "ended")
