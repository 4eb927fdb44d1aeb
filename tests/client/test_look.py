"""The look and feel: a theme chosen in the palette is remembered, NO_COLOR keeps words,
the palette offers the moves allowed now, and the bell rings when the turn comes."""

from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

import client.app
from client.app import FiresideApp
from client.entry import Entry
from client.settings import Settings, config_path, load_settings
from client.widgets.listening_banner import ListeningBanner
from client.widgets.status_line import StatusLine
from shared.events import EventKind
from shared.seats import Phase
from tests.client.drive import ben_answers, paired_partner, session_of, until

SIZE = (80, 24)


class CountingApp(FiresideApp):
    """Counts the framework's bell instead of ringing it (headless apps ring nothing anyway)."""

    CSS_PATH = str(Path(client.app.__file__).with_name("app.tcss"))
    rings = 0

    def bell(self) -> None:
        self.rings += 1
        super().bell()


async def _palette_titles(pilot: Pilot[Any], app: FiresideApp) -> set[str]:
    """Open the command palette and read the commands it lists before anything is typed."""
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette))
    commands = app.screen.query_one(CommandList)
    await until(pilot, lambda: commands.option_count > 0)
    await pilot.pause()
    prompts = [commands.get_option_at_index(i).prompt for i in range(commands.option_count)]
    titles = {str(prompt).splitlines()[0] for prompt in prompts}
    await pilot.press("escape")
    await until(pilot, lambda: not isinstance(app.screen, CommandPalette))
    return titles


async def test_theme_chosen_in_the_palette_is_remembered(server_url: str) -> None:
    """Theme → nord in the command palette writes `theme` into config.toml, keeping the rest."""
    config_path().write_text('# mine\nname = "Ana"\nbell = true\n', encoding="utf-8")
    app = FiresideApp(Entry(server_url, "Ana"), settings=load_settings())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"theme")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"nord")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: app.theme == "nord")
    assert config_path().read_text(encoding="utf-8") == (
        '# mine\nname = "Ana"\nbell = true\ntheme = "nord"\n'
    )
    assert load_settings().theme == "nord"


async def test_a_theme_from_the_file_is_used_and_not_rewritten() -> None:
    """Starting with the file's theme shows it, and leaves the file as it was."""
    text = 'theme = "gruvbox"\n'
    config_path().write_text(text, encoding="utf-8")
    app = FiresideApp(Entry("ws://127.0.0.1:9", "Ana"), settings=load_settings())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "gruvbox"
    assert config_path().read_text(encoding="utf-8") == text


async def test_an_unknown_theme_is_named_and_the_default_kept() -> None:
    """A theme Textual does not have is one calm notification, not a crash."""
    app = FiresideApp(Entry("ws://127.0.0.1:9", "Ana"), settings=Settings(theme="sparkles"))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app._notifications)
        assert app.theme == "textual-dark"
        messages = [notification.message for notification in app._notifications]
        assert messages == ["There is no theme called 'sparkles'."]


async def test_no_color_still_says_listening_and_trouble_in_words(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under NO_COLOR the listening state and trouble are still plain to read."""
    monkeypatch.setenv("NO_COLOR", "1")
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        assert ana.no_color
        room, _ben = await ben_answers(pilot, ana, "It was the lake.")
        banner = room.query_one(ListeningBanner)
        await until(pilot, lambda: banner.display)
        assert "You are listening" in str(banner.render())
        status = room.query_one(StatusLine)
        status.say("The connection dropped.", trouble=True)
        assert str(status.render()) == "! The connection dropped."


async def test_the_palette_offers_only_what_may_be_done_now(server_url: str) -> None:
    """Asking: ask but no nods or sending; listening: nods but no ask; help and quit always."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        titles = await _palette_titles(pilot, ana)
        assert {"Ask", "Help", "Quit", "Phrase", "Theme"} <= titles
        assert not titles & {"Send", "Done", "Nod: ♥", "Yes, you heard me"}
        room = session_of(ana)
        await pilot.press("f8")
        await ben.until_kind(EventKind.ASK)
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        titles = await _palette_titles(pilot, ana)
        assert {"Nod: ♥", "Nod: I hear you", "Nod: Take your time", "Help", "Quit"} <= titles
        assert not titles & {"Ask", "Send", "Send reflection", "Done", "Pass"}


async def test_a_nod_chosen_in_the_palette_is_sent(server_url: str) -> None:
    """Choosing a session command runs it as its key would: the partner hears the nod."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        room, ben = await ben_answers(pilot, ana, "It was the lake.")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(ana.screen, CommandPalette))
        await pilot.press(*"hear you")
        await pilot.pause(0.3)
        await pilot.press("enter")
        heard = await ben.until_kind(EventKind.NOD)
        assert heard.event.nod == "hear"
        assert room.room_log[-1].kind is EventKind.NOD


@pytest.mark.parametrize("bell", [True, False])
async def test_the_bell_rings_when_the_turn_comes_and_only_if_asked(
    server_url: str, bell: bool
) -> None:
    """With `bell` on: a ring when pairing gives Ana the floor and when Ben is done; off: none."""
    ana = CountingApp(Entry(server_url, "Ana"), enter_now=True, settings=Settings(bell=bell))
    async with ana.run_test(size=SIZE) as pilot:
        room, ben = await ben_answers(pilot, ana, "It was the lake.")
        assert ana.rings == (1 if bell else 0)
        await ben.send(t="done")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        assert ana.rings == (2 if bell else 0)
