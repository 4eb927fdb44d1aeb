"""How reflecting (the guide) and confirming (words beside the reflection) look, narrow and wide."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from client.app import FiresideApp
from shared.events import EventKind
from shared.seats import Phase
from tests.client.drive import session_of, until
from tests.client.test_snapshots import ServerThread, entering, settle

SnapCompare = Callable[..., bool]
SIZES = {"narrow": (80, 24), "wide": (140, 40)}


@pytest.fixture(scope="module")
def server_thread() -> Iterator[ServerThread]:
    """One threaded server for the snapshot tests of this module."""
    running = ServerThread()
    yield running
    running.close()


def reflecting(server_thread: ServerThread) -> Callable[[Pilot[Any]], Any]:
    """Ana asks, Ben shares twice and is done: Ana reflects, with the guide beside her."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await until(pilot, lambda: session_of(app).me is not None)
        ben = await server_thread.partner_pairs(session_of(app).code, "Ben")
        await until(pilot, lambda: session_of(app).room.phase is Phase.ASKING)
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
        app = pilot.app
        await until(pilot, lambda: session_of(app).me is not None)
        ben = await server_thread.partner_pairs(session_of(app).code, "Ben")
        await until(pilot, lambda: session_of(app).room.phase is Phase.ASKING)
        await pilot.press("f2")
        await server_thread.run(ben.until_kind(EventKind.HANDOVER))
        await server_thread.run(ben.ask("What made you smile this week?"))
        await until(pilot, lambda: session_of(app).room.phase is Phase.SHARING)
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
