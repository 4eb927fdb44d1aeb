"""The command palette's entries for the session: each key the footer shows, allowed right now."""

from collections.abc import Iterable
from functools import partial
from typing import Any

from textual.actions import parse
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

_HELP = {
    "send('ask')": "Ask the question written in the composer",
    "send('say')": "Send what you wrote to your partner",
    "send('reflect')": "Send back what you heard",
    "ask_card": "Ask the card under the cursor in the question cards",
    "card(1)": "Move the cursor to the next card (ctrl+up goes back)",
    "move('handover')": "Let your partner ask this round instead",
    "move('done')": "Say you have finished sharing",
    "move('decline')": "Pass on this question, kindly",
    "move('confirm')": "Tell your partner they heard you",
    "move('more')": "Tell your partner there is more to hear",
    "nod('heart')": "A quiet nod of warmth while your partner shares",
    "nod('hear')": "A quiet nod: I hear you",
    "nod('time')": "A quiet nod: take your time",
    "phrase": "The four words to compare with your partner over the phone",
}
"""What each move does, in the palette under its name; a move not listed shows its name."""


def session_commands(screen: Screen[Any]) -> Iterable[SystemCommand]:
    """One command per binding of `screen` that its `check_action` allows now (not dimmed).

    The palette then offers exactly what the footer offers: Session.may decides both.
    """
    seen: set[str] = set()
    # A subclass (the demo's screen) may add BINDINGS of its own: walk them all.
    declared = (vars(cls).get("BINDINGS", []) for cls in type(screen).__mro__)
    for binding in (binding for bindings in declared for binding in bindings):
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
            f"{_HELP.get(binding.action, binding.description)} ({key})",
            partial(screen.run_action, binding.action),
        )
