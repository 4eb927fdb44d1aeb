"""How the deck panel looks in round 2, narrow and wide: the same question offered back, the
warm-up suggestion, and the calm note for a custom deck file that could not be read."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from client.decks import WARM_UP
from shared.events import EventKind
from shared.messages import MessageType
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


def second_round(server_thread: ServerThread) -> Callable[[Pilot[Any]], Any]:
    """Ana hands over, Ben asks w3, Ana shares and feels heard: round 2 is Ana's to ask."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        room = session_of(app)
        await until(pilot, lambda: room.me is not None)
        ben = await server_thread.partner_pairs(room.code, "Ben")
        await until(pilot, lambda: room.room.phase is Phase.ASKING)
        await pilot.press("f2")
        await server_thread.run(ben.until_kind(EventKind.HANDOVER))
        card = WARM_UP.cards[2]
        box = ben.seal(MessageType.ASK, {"text": card.text, "card": card.id})
        await server_thread.run(ben.send_box("ask", box))
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
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
