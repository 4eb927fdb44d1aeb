"""A whole letter between two real `fireside letters` processes, each in its own 80x24 window,
a pty read with pyte (tests/terminal.py) and a tmux window (tests/tmux.py), through a real
`fireside-server`, with windows closed and opened again between the moves, and keys arriving
in bursts as a terminal sends them."""

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.server_process import ServerProcess, server_process
from tests.terminal import CTRL_S, F5, Terminal, fireside, terminal_env
from tests.tmux import TmuxWindow

Window = Terminal | TmuxWindow

CTRL_Q = b"\x11"
F8 = b"\x1b[19~"
ENTER = b"\r"

# Short enough for one row beside the guide at 80 columns, so the screen can be searched.
QUESTION = "Best and hardest of your week?"
ANA_ANSWER = "Tiles done; dinner alone."
BEN_ANSWER = "Sis called; [bold]rain[/bold]."
"""Textual markup a partner might write: it must reach the other screen as these characters."""
ANA_HEARD = "your sister, the rain."
BEN_HEARD = "tiles, lonely dinner."


async def see(terminal: Window, *words: str, within: float = 10) -> str:
    """The screen once every one of `words` is on it at once, waited for off the loop."""

    def shown(screen: str) -> bool:
        flat = " ".join(screen.split())
        return all(" ".join(word.split()) in flat for word in words)

    return await asyncio.to_thread(terminal.until, shown, within)


async def closed(terminal: Window) -> None:
    """ctrl+q closes the window: the letters are kept, and the process ends by itself."""
    terminal.write(CTRL_Q)
    assert await asyncio.to_thread(terminal.wait, 10) == 0


@pytest.fixture
async def server() -> AsyncIterator[ServerProcess]:
    async with server_process("--data", ":memory:") as running:
        yield running


@pytest.fixture
def terminals() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


@pytest.mark.parametrize("kind", [Terminal, TmuxWindow], ids=["pty", "tmux"])
async def test_a_letter_across_closed_windows_in_two_real_terminals(
    server: ServerProcess, tmp_path: Path, terminals: ExitStack, kind: type[Window]
) -> None:
    """Ana starts letters and Ben joins; Ana proposes and answers in one burst and closes; Ben
    opens later and answers, and both see the two answers (Ben's markup literal); both reflect
    with the guide's first starter, both feel heard, and the next question opens."""
    url = f"ws://127.0.0.1:{server.port}"

    def open_letters(name: str, *argv: str) -> Window:
        env = terminal_env(tmp_path / name)
        command = [fireside(), "letters", *argv, "--server", url, "--name", name, "--zone", "UTC"]
        window = kind(command, env)
        terminals.callback(window.close)
        return window

    ana = open_letters("Ana")
    await see(ana, "Start letters", "Join with the invite")
    ana.write(ENTER)
    shown = await see(ana, "Invite:", "fireside letters join")
    found = re.search(r"Invite: (\S+)", shown)
    assert found is not None, shown
    ben = open_letters("Ben", "join", found.group(1))
    await see(ana, "Letters with Ben · 0 conversations", "Propose the first question")
    await see(ben, "Letters with Ana · 0 conversations", "Propose the first question")
    await closed(ben)

    ana.write(QUESTION.encode() + CTRL_S + ANA_ANSWER.encode() + CTRL_S)
    await see(ana, QUESTION, "You answered at", "sealed until Ben answers")
    await see(ana, "Your answer is sealed; waiting for Ben")
    await closed(ana)

    ben = open_letters("Ben")
    # Opened again, the window says it connected, not that it came back from a drop.
    await see(ben, QUESTION, "Ana answered at", "sealed until you answer", "Connected.")
    assert ANA_ANSWER not in ben.text()
    ben.write(BEN_ANSWER.encode() + CTRL_S)
    await see(ben, ANA_ANSWER, BEN_ANSWER, "Reflect what you heard in Ana's answer")

    ana = open_letters("Ana")
    await see(ana, ANA_ANSWER, BEN_ANSWER, "Reflect what you heard in Ben's answer")
    ana.write(F8 + ANA_HEARD.encode() + CTRL_S)
    ben.write(F8 + BEN_HEARD.encode() + CTRL_S)
    await see(ana, f"What I heard you say is… {ANA_HEARD}", "say if you felt heard")
    await see(ben, f"What I heard you say is… {BEN_HEARD}", "say if you felt heard")

    ana.write(F5)
    ben.write(F5)
    for terminal, partner in ((ana, "Ben"), (ben, "Ana")):
        await see(
            terminal,
            f"Letters with {partner} · 1 conversation",
            "Both felt heard; propose the next question",
            "felt heard.",
        )
