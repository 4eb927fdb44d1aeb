"""The command palette's entries for the session: each key the footer shows, allowed right now."""

from collections.abc import Iterable
from functools import partial
from typing import Any

from textual.actions import parse
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

_HELP = {
    "send": "Send what is in the composer",
    "move": "A move in the round",
    "nod": "A quiet nod to your partner while they share",
    "phrase": "The four words to compare with your partner over the phone",
}


def session_commands(screen: Screen[Any]) -> Iterable[SystemCommand]:
    """One command per binding of `screen` that its `check_action` allows now (not dimmed).

    The palette then offers exactly what the footer offers: Session.may decides both.
    """
    seen: set[str] = set()
    for binding in screen.BINDINGS:
        if not isinstance(binding, Binding):
            continue
        if not binding.show or binding.action in seen:
            continue
        _, name, parameters = parse(binding.action)
        if screen.check_action(name, parameters) is not True:
            continue
        seen.add(binding.action)
        key = binding.key_display or binding.key
        title = f"Nod: {binding.description}" if name == "nod" else binding.description
        yield SystemCommand(
            title,
            f"{_HELP.get(name, binding.description)} ({key})",
            partial(screen.run_action, binding.action),
        )
