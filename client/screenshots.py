"""Save the README's pictures of a session: `python -m client.screenshots docs/screenshots/`.

It drives the real app with Pilot on the demo's loopback server, Sam as the
partner, and has each screen save itself as SVG at 100 by 30. What changes from
run to run (the nameplate, the server's port) is fixed first.
"""

import argparse
import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from client.app import FiresideApp
from client.demo.app import DemoApp, start_demo_server
from client.entry import Entry
from client.screens.session import SessionScreen
from client.screenshots_letters import take_letters
from client.widgets.composer import Composer
from shared.crypto.invite import invite_code
from shared.events import EventKind
from shared.seats import Phase, Seat

SIZE = (100, 30)
NAME = "Ana"
WORDS = ("orbit", "velvet", "canyon")
SHOWN_CODE = "K7M2Q-X9P4R"
SHOWN_SERVER = "ws://192.0.2.10:8765"
"""A documentation address (RFC 5737) in place of the demo server's random port."""
SCREENS = ("welcome", "invite", "asking", "listening", "reflecting", "confirming", "letters")
STEP = 0.05


async def take(directory: Path, *, pace: float = 1.0) -> list[Path]:
    """Save every screen of SCREENS into `directory`, which exists; `pace` scales Sam's pauses."""
    running = await start_demo_server()
    url = f"ws://127.0.0.1:{running.port}"
    try:
        await _welcome(directory)
        await _invite(directory, url)
        await _round(directory, url, pace)
    finally:
        await running.close()
    await take_letters(directory)
    return [directory / f"{screen}.svg" for screen in SCREENS]


async def _welcome(directory: Path) -> None:
    app = FiresideApp(Entry(SHOWN_SERVER, NAME), keep_seats=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _save(pilot, directory, "welcome")


async def _invite(directory: Path, url: str) -> None:
    entry = Entry(url, NAME, invite_servers=(SHOWN_SERVER,), drawn=WORDS, journal=False)
    app = FiresideApp(entry, enter_now=True, keep_seats=False)
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: _phase(app) is Phase.WAITING)
        await _save(pilot, directory, "invite")


async def _round(directory: Path, url: str, pace: float) -> None:
    """Ana asks, Sam shares, Ana reflects; Sam asks, Ana shares, Sam reflects back."""
    app = DemoApp(Entry(url, NAME, drawn=WORDS, journal=False), pace=pace)
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: _phase(app) is Phase.ASKING)
        await _save(pilot, directory, "asking")
        await pilot.press("f8")
        await _until(pilot, lambda: _said_by_sam(app) >= 2)
        await _save(pilot, directory, "listening")
        await _until(pilot, lambda: _phase(app) is Phase.REFLECTING)
        room = _session(app)
        assert room is not None
        room.query_one(Composer).insert("What I heard is that the small things carry you.")
        await _save(pilot, directory, "reflecting")
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: room.room.round == 2 and _phase(app) is Phase.SHARING)
        room.query_one(Composer).insert("My sister sent me a photo of her garden this morning.")
        await pilot.press("ctrl+s", "f3")
        await _until(pilot, lambda: _phase(app) is Phase.CONFIRMING)
        await _save(pilot, directory, "confirming")


def _session(app: App[Any]) -> SessionScreen | None:
    sessions = [screen for screen in app.screen_stack if isinstance(screen, SessionScreen)]
    return sessions[-1] if sessions else None


def _phase(app: FiresideApp) -> Phase | None:
    room = _session(app)
    return room.room.phase if room is not None and room.me is not None else None


def _said_by_sam(app: FiresideApp) -> int:
    room = _session(app)
    if room is None:
        return 0
    return sum(1 for o in room.room_log if o.kind is EventKind.SAY and o.by is Seat.B)


async def _until(pilot: Pilot[Any], condition: Callable[[], object], within: float = 30) -> None:
    for _ in range(int(within / STEP)):
        if condition():
            return
        await pilot.pause(STEP)
    raise TimeoutError("the app did not reach the screen to take")


async def _save(pilot: Pilot[Any], directory: Path, screen: str) -> None:
    """Fix what changes between runs, let the screen settle, and save it as `screen`.svg."""
    room = _session(pilot.app)
    if room is not None:
        room.code = SHOWN_CODE
        if room.invite is not None:
            room.invite = invite_code(SHOWN_CODE, WORDS)
            room.show_invite()
        room.show_room()
    await pilot.pause()
    pilot.app.save_screenshot(f"{screen}.svg", str(directory))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m client.screenshots", description="Save the README's pictures as SVG."
    )
    parser.add_argument("directory", type=Path, nargs="?", default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    args.directory.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(take(args.directory)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
