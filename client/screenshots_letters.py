"""The README's picture of letters: two real letters apps on a loopback server, Ana's screen
saved once both answers are out and she is writing her reflection."""

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from client.demo.app import DEMO_HOST, start_demo_server
from client.entry import Entry
from client.letters_app import LettersApp
from client.saved_seats import SeatShelf
from client.screens.letters import LettersScreen
from client.settings import Settings
from client.widgets.composer import Composer
from shared.seats import Mode, Phase

SIZE = (100, 30)
ZONE = "Europe/Lisbon"
STEP = 0.05


async def take_letters(directory: Path) -> Path:
    """Save `letters.svg` into `directory`: a whole first letter up to Ana's reflection."""
    running = await start_demo_server()
    url = f"ws://{DEMO_HOST}:{running.port}"
    try:
        with tempfile.TemporaryDirectory() as shelves:
            await _letter(directory, url, Path(shelves))
    finally:
        await running.close()
    return directory / "letters.svg"


async def _letter(directory: Path, url: str, shelves: Path) -> None:
    settings = Settings(server=url, name="Ana", zone=ZONE, journal=False)
    ana_entry = Entry(url, "Ana", mode=Mode.LETTERS, journal=False)
    ana = LettersApp(ana_entry, settings, SeatShelf(shelves / "ana", forgotten_after=None))
    async with ana.run_test(size=SIZE) as ana_pilot:
        ana_room = _letters(ana)
        await _until(ana_pilot, lambda: ana_room.invite is not None)
        assert ana_room.invite is not None
        ben_entry = Entry.joining(url, "Ben", ana_room.invite)
        ben_settings = Settings(server=url, name="Ben", zone="Asia/Tokyo", journal=False)
        ben = LettersApp(ben_entry, ben_settings, SeatShelf(shelves / "ben", forgotten_after=None))
        async with ben.run_test(size=SIZE) as ben_pilot:
            ben_room = _letters(ben)
            await _until(ana_pilot, lambda: ana_room.room.phase is Phase.PROPOSING)
            await _write(
                ana_pilot, ana_room, "What is a small thing I do that makes you feel loved?"
            )
            await _until(ana_pilot, lambda: ana_room.room.phase is Phase.ANSWERING)
            await _write(ana_pilot, ana_room, "When you send me a photo of your morning coffee.")
            await _until(ben_pilot, lambda: ben_room.room.letter.answered != ())
            await _write(ben_pilot, ben_room, "The way you remember the names of my colleagues.")
            await _until(ana_pilot, lambda: ana_room.room.phase is Phase.REVEALED)
            ana_room.query_one(Composer).insert(
                "What I heard is that being remembered by name makes you feel part of my days."
            )
            await ana_pilot.pause()
            ana.save_screenshot("letters.svg", str(directory))


def _letters(app: LettersApp) -> LettersScreen:
    screen = app.screen
    assert isinstance(screen, LettersScreen)
    return screen


async def _write(pilot: Pilot[Any], screen: LettersScreen, text: str) -> None:
    await _until(pilot, lambda: not screen.query_one(Composer).disabled)
    screen.query_one(Composer).insert(text)
    await pilot.press("ctrl+s")


async def _until(pilot: Pilot[Any], condition: Callable[[], object], within: float = 30) -> None:
    for _ in range(int(within / STEP)):
        if condition():
            return
        await pilot.pause(STEP)
    raise TimeoutError("the letters did not reach the screen to take")
