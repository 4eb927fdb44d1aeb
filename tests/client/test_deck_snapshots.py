"""How the deck panel looks in round 2, narrow and wide: the same question offered back, the
warm-up suggestion, and the calm note for a custom deck file that could not be read."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from client.decks import WARM_UP
from shared.events import EventKind
from shared.seats import Phase
from tests.client.drive import session_of, until
from tests.client.snapshot_room import ServerThread, SnapCompare, entering, settle

SIZES = {"narrow": (80, 24), "wide": (140, 40)}


def second_round(server_thread: ServerThread) -> Callable[[Pilot[Any]], Any]:
    """Ana hands over, Ben asks w3, Ana shares and feels heard: round 2 is Ana's to ask."""

    async def run_before(pilot: Pilot[Any]) -> None:
        card = WARM_UP.cards[2]
        ben = await server_thread.ben_asks(pilot, card.text, card=card.id)
        room = session_of(pilot.app)
        await pilot.press(*"How octopuses taste with their arms.", "ctrl+s", "f3")
        await server_thread.run(ben.until_kind(EventKind.DONE))
        await server_thread.run(ben.reflect("Octopuses taste with their arms!"))
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)
        await pilot.press("f5")
        await until(pilot, lambda: room.room.round == 2)
        await settle(pilot, Phase.ASKING)

    return run_before


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_round_two_offers_the_same_question(
    snap_compare: SnapCompare,
    server_thread: ServerThread,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    """Ana's panel in round 2: a broken deck noted, warm-ups suggested, Ben's question offered."""
    monkeypatch.setenv("FIRESIDE_CONFIG_DIR", str(tmp_path))
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "ours.toml").write_text('title = "Ours"\n[[cards]\n', "utf-8")
    app = entering(server_thread)
    assert snap_compare(app, terminal_size=size, run_before=second_round(server_thread))
