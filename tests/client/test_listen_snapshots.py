"""How reflecting (the guide) and confirming (words beside the reflection) look, narrow and wide."""

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from client.app import FiresideApp
from shared.events import EventKind
from shared.seats import Phase
from tests.client.snapshot_room import ServerThread, SnapCompare, entering, settle

SIZES = {"narrow": (80, 24), "wide": (140, 40)}


def reflecting(server_thread: ServerThread) -> Callable[[Pilot[Any]], Any]:
    """Ana asks, Ben shares twice and is done: Ana reflects, with the guide beside her."""

    async def run_before(pilot: Pilot[Any]) -> None:
        ben = await server_thread.ben_pairs(pilot)
        await pilot.press("f8")
        await server_thread.run(ben.until_kind(EventKind.ASK))
        await server_thread.run(ben.say("It was a long day; the walk helped."))
        await server_thread.run(ben.say("I miss our evenings, though."))
        await server_thread.run(ben.send(t="done"))
        await settle(pilot, Phase.REFLECTING)

    return run_before


def confirming(server_thread: ServerThread) -> Callable[[Pilot[Any]], Any]:
    """Ana hands the asking over, shares, and reads Ben's reflection beside her own words."""

    async def run_before(pilot: Pilot[Any]) -> None:
        ben = await server_thread.ben_asks(pilot, "What made you smile this week?")
        await pilot.press(*"The neighbour's dog waited for me at the gate.", "ctrl+s")
        await pilot.press(*"Every morning, like it knew.", "ctrl+s", "f3")
        await server_thread.run(ben.until_kind(EventKind.DONE))
        await server_thread.run(
            ben.reflect("What I heard you say is… a dog waiting at the gate each morning.")
        )
        await settle(pilot, Phase.CONFIRMING)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_reflecting_screen(
    snap_compare: SnapCompare, server_thread: ServerThread, size: str
) -> None:
    """The asker reflecting: the guide's three steps beside the transcript, the composer open."""
    app: FiresideApp = entering(server_thread)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=reflecting(server_thread))


@pytest.mark.parametrize("size", SIZES)
def test_confirming_screen(
    snap_compare: SnapCompare, server_thread: ServerThread, size: str
) -> None:
    """The speaker confirming: what they said and what the partner heard, side by side."""
    app: FiresideApp = entering(server_thread)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=confirming(server_thread))
