"""A whole round between two real `fireside` processes, each in its own 80x24 pty
(tests/terminal.py), through a real `fireside-server` process: what each person sees."""

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.server_process import ServerProcess, server_process
from tests.terminal import CTRL_S, F3, F5, Terminal, fireside, terminal_env

QUESTION = "What did the rain sound like where you grew up, and who listened with you?"
"""Has d, l and r in it, and fills most of a row: the composer must show it whole."""
INTERRUPTION = "well actually you should just"
"""The listener's attempt to cut in: no digit in it, since 1, 2 and 3 are nods."""
ANSWER = "Soft on the roof, [bold red]x[/] and [@click=app.quit]y[/] my gran."
"""Textual markup a partner might write: it must reach the other screen as these characters."""
REFLECTION = "I heard the rain was soft, and your gran listened."


@dataclass
class Pair:
    """Ana, who made the room, and Ben, who joined it with her invite."""

    ana: Terminal
    ben: Terminal


async def see(terminal: Terminal, *words: str, within: float = 5) -> str:
    """The screen once every one of `words` is on it at the same time (Terminal.until), waited
    for off the event loop so that the server's log keeps being read meanwhile."""

    def shown(screen: str) -> bool:
        return all(word in screen for word in words)

    return await asyncio.to_thread(terminal.until, shown, within)


@pytest.fixture
async def server() -> AsyncIterator[ServerProcess]:
    async with server_process("--data", ":memory:") as running:
        yield running


@pytest.fixture
async def pair(server: ServerProcess, tmp_path: Path) -> AsyncIterator[Pair]:
    """Ana runs `fireside create` on the server, Ben `fireside join` with the invite read off
    Ana's screen; each keeps state, config and data in a home of their own."""
    url = f"ws://127.0.0.1:{server.port}"
    with ExitStack() as terminals:

        def open_terminal(*argv: str) -> Terminal:
            name = argv[argv.index("--name") + 1]
            env = terminal_env(tmp_path / name)
            return terminals.enter_context(Terminal([fireside(), *argv, "--server", url], env))

        ana = open_terminal("create", "--name", "Ana")
        shown = await see(ana, "Invite:", within=10)
        found = re.search(r"Invite: (\S+)", shown)
        assert found is not None, shown
        ben = open_terminal("join", found.group(1), "--name", "Ben")
        await see(ana, "Your turn to ask", within=10)
        await see(ben, "Ana has the floor", within=10)
        yield Pair(ana, ben)


async def test_a_round_in_two_real_terminals_swaps_the_roles(pair: Pair) -> None:
    """Ana's question typed in one burst is asked whole; her typing while Ben shares is refused
    on her screen and reaches nothing of his; his markup shows literally on hers; after her
    reflection and his confirm, round 2 begins with Ben asking."""
    ana, ben = pair.ana, pair.ben

    ana.write(QUESTION.encode())
    await see(ana, QUESTION)
    ana.write(CTRL_S)
    await see(ben, "Your turn to share", "Ana asked", QUESTION)
    await see(ana, "Ben has the floor", "You are listening")

    ana.write(INTERRUPTION.encode())
    await see(ana, "Nothing was sent")
    # A nod after it: by the time Ben sees the nod, whatever the typing sent would be there too.
    ana.write(b"2")
    nodded = await see(ben, "Ana: I hear you")
    assert "actually" not in nodded
    assert "is writing" not in nodded
    assert "actually" not in ana.text(), "the listener's composer stays closed"

    ben.write(ANSWER.encode() + CTRL_S)
    await see(ana, ANSWER, "You are listening")
    await see(ben, ANSWER)
    ben.write(F3)
    await see(ana, "Say back what you heard")

    ana.write(REFLECTION.encode() + CTRL_S)
    await see(ben, "Did you feel heard?", "Ana reflected back", REFLECTION)
    ben.write(F5)

    await see(ben, "round 2 · you have the floor", "Your turn to ask")
    await see(ana, "round 2 · Ben has the floor", "Round 2: the roles swap.", "You are listening")
