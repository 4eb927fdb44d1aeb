"""Listening and reflecting: the reflection guide, and the speaker's words beside what was heard."""

from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot

from client.app import FiresideApp
from client.entry import Entry
from client.reflection import STEPS
from client.screens.session import SessionScreen
from client.widgets.composer import Composer
from client.widgets.heard_beside import HeardBeside
from client.widgets.reflection_starters import ReflectionStarters
from shared.events import EventKind
from shared.seats import Phase
from tests.client.drive import (
    WirePartner,
    ben_answers,
    ben_asks,
    burst,
    until,
)

SIZE = (100, 30)


async def _reflecting(pilot: Pilot[Any], ana: FiresideApp) -> tuple[SessionScreen, WirePartner]:
    """Ana asks, Ben shares and is done: Ana's turn to reflect."""
    room, ben = await ben_answers(pilot, ana, "It was a long day; the walk helped.")
    await ben.send(t="done")
    await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
    return room, ben


async def test_the_guide_offers_three_steps_and_inserts_the_chosen_words(server_url: str) -> None:
    """The guide shows mirror, validate, empathise; a picked starter's words go into the box."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        room, ben = await _reflecting(pilot, ana)
        guide = room.query_one(ReflectionStarters)
        assert guide.display
        headings = [str(guide.get_option_at_index(i).prompt) for i in range(guide.option_count)]
        assert [step.name for step in STEPS] == ["Mirror", "Validate", "Empathise"]
        for step in STEPS:
            assert any(heading.startswith(step.name) for heading in headings)
        # Down past the mirror's three starters to validate's (the headings are skipped).
        await pilot.press("ctrl+down", "ctrl+down", "alt+down", "f8")
        composer = room.query_one(Composer)
        assert composer.text == "That makes sense, because… "
        assert ana.focused is composer
        await pilot.press(*"the walk helped.", "alt+up", "f8")
        assert composer.text == "That makes sense, because… the walk helped. Is there more? "
        await pilot.press("ctrl+s")
        reflected = await ben.until_kind(EventKind.REFLECT)
        assert reflected.text == "That makes sense, because… the walk helped. Is there more?"
        await ben.close()


async def test_a_reflection_typed_in_one_burst_after_tab_lands_whole(server_url: str) -> None:
    """Tab cannot take the focus to the starters: every key of a reflection that arrives at
    once, before the app has handled any, is in the composer, in order."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(80, 24)) as pilot:
        room, ben = await _reflecting(pilot, ana)
        words = "It was a long day, and the walk helped."
        for key in [events.Key("tab", None), *burst(words)]:
            ana.post_message(key)
        await pilot.pause()
        composer = room.query_one(Composer)
        assert composer.text == words
        assert ana.focused is composer
        await ben.close()


async def test_a_starter_and_the_words_after_it_in_one_burst_keep_their_order(
    server_url: str,
) -> None:
    """ctrl+down and F8 among letters that arrive at once: the starter they pick lands between
    the words before and after them, as the reflection was written, not after them all."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(80, 24)) as pilot:
        room, ben = await _reflecting(pilot, ana)
        picks = [events.Key("ctrl+down", None)] * 3 + [events.Key("f8", None)]
        for key in [*burst("So "), *picks, *burst("a long day.")]:
            ana.post_message(key)
        await pilot.pause()
        assert room.query_one(Composer).text == f"So {STEPS[1].starters[0]}a long day."
        await ben.close()


async def test_the_reflecting_placeholder_opens_as_the_guide_does(server_url: str) -> None:
    """The empty box at the reflecting turn starts with the guide's first words, not others."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(80, 24)) as pilot:
        room, ben = await _reflecting(pilot, ana)
        placeholder = str(room.query_one(Composer).placeholder)
        assert placeholder.startswith(STEPS[0].starters[0])
        assert "ctrl+s" in placeholder
        await ben.close()


async def test_the_guide_can_be_ignored(server_url: str) -> None:
    """The asker may write a reflection in their own words: nothing is added to them."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        room, ben = await _reflecting(pilot, ana)
        assert ana.focused is room.query_one(Composer)
        await pilot.press(*"A long day, and walking helped", "ctrl+s")
        reflected = await ben.until_kind(EventKind.REFLECT)
        assert reflected.text == "A long day, and walking helped"
        await ben.close()


async def test_confirming_shows_the_words_beside_the_reflection(server_url: str) -> None:
    """While Ana confirms, all she said this turn (across "more") sits beside Ben's reflection."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        room, ben = await ben_asks(pilot, ana, "How was your week?")
        await pilot.press(*"Busy, [bold]tiring[/bold]", "ctrl+s", "f3")
        await ben.until_kind(EventKind.DONE)
        await ben.reflect("You were busy")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)
        beside = room.query_one(HeardBeside)
        assert beside.display
        assert beside.said == ("Busy, [bold]tiring[/bold]",)
        assert beside.reflected == "You were busy"
        assert "What Ben heard" in str(beside.query_one("#heard-reflected").border_title)

        # There's more: the first words still count, beside the new reflection.
        await pilot.press("f6")
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        assert not beside.display
        await pilot.press(*"and glad it is over", "ctrl+s", "f3")
        await ben.until_kind(EventKind.DONE)
        await ben.reflect("Busy and tiring, and you are glad it is over")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)
        assert beside.said == ("Busy, [bold]tiring[/bold]", "and glad it is over")
        assert beside.reflected == "Busy and tiring, and you are glad it is over"
        await pilot.press("f5")
        await until(pilot, lambda: room.room.round == 2)
        assert not beside.display
        await ben.close()


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (140, 40)])
async def test_the_confirming_columns_line_up(server_url: str, size: tuple[int, int]) -> None:
    """A short answer beside a long reflection: both columns start and end on the same rows."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=size) as pilot:
        room, ben = await ben_asks(pilot, ana, "How was your week?")
        await pilot.press(*"Busy.", "ctrl+s", "f3")
        await ben.until_kind(EventKind.DONE)
        await ben.reflect("You were busy, " * 12 + "and it sounds like it wore you out.")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)
        await pilot.pause()
        said = room.query_one("#heard-said").region
        heard = room.query_one("#heard-reflected").region
        assert (said.y, said.height) == (heard.y, heard.height)
        assert said.height > 3, "the long reflection is not cut to the short answer's height"
        assert said.width in (heard.width - 1, heard.width, heard.width + 1)
        await ben.close()
