"""`fireside demo` looks and sounds as the person's config says: its theme, and the bell when
the turn comes, read back from the real command in a pseudo-terminal."""

import os
import shutil
import sys
from pathlib import Path

import pyte
import pytest

from client.demo.app import DemoApp, demo_entry, start_demo_server
from client.settings import Settings, config_path
from tests.client.drive import until
from tests.terminal import COLUMNS, LINES, Terminal

BACKGROUNDS = {"nord": "2e3440", "gruvbox": "282828"}
"""Each theme's $background (textual/theme.py), as pyte names a true colour."""


class RingingScreen(pyte.Screen):
    """A pyte screen that counts the BEL characters the program writes."""

    rings = 0

    def bell(self, *_: object) -> None:
        self.rings += 1


@pytest.mark.parametrize(("theme", "bell"), [("nord", True), ("gruvbox", False)])
def test_the_demo_uses_the_configured_theme_and_bell(theme: str, bell: bool) -> None:
    """With the theme and the bell set in config.toml, the demo paints in that theme, and it
    rings when pairing gives the person the first turn to ask only if the bell is on."""
    config_path().write_text(f'theme = "{theme}"\nbell = {str(bell).lower()}\n', encoding="utf-8")
    fireside = shutil.which("fireside", path=str(Path(sys.executable).parent))
    assert fireside is not None, "fireside is not installed beside this Python"
    # True colour, so the theme's own background reaches pyte and not a 256-colour guess.
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    screen = RingingScreen(COLUMNS, LINES)
    terminal = Terminal([fireside, "demo", "--fast", "--name", "Ana"], env, screen)
    try:
        terminal.until(lambda shown: "Write your own question" in shown, within=10)
        painted = {cell.bg for row in screen.buffer.values() for cell in row.values()}
        assert BACKGROUNDS[theme] in painted
        assert screen.rings == (1 if bell else 0)
    finally:
        terminal.close()


async def test_an_unknown_theme_is_named_in_the_demo_too() -> None:
    """A theme Textual does not have is the same one notification as in `fireside host`."""
    running = await start_demo_server()
    try:
        app = DemoApp(demo_entry(running, "Ana"), pace=0, settings=Settings(theme="sparkles"))
        async with app.run_test(size=(COLUMNS, LINES)) as pilot:
            await until(pilot, lambda: app._notifications)
            messages = [notification.message for notification in app._notifications]
            assert messages == ["There is no theme called 'sparkles'."]
            assert app.theme == "textual-dark"
    finally:
        await running.close()
