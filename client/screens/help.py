"""F1: how a Fireside session flows, and what listening mode asks of you."""

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

GUIDE = """\
How a round goes

1. Ask. The asker picks a card (warm-ups first, deeper ones later) or writes
   a question of their own, then sends it. F2 hands the asking over instead.
2. Share. The other person answers, in as many messages as they like
   (ctrl+s sends each one), and presses F3 when they are done. F4 passes on
   a question they would rather not answer.
3. Reflect. The asker says back what they heard and why it makes sense.
   The starters on the right help you begin.
4. Confirm. The speaker says "Yes, you heard me" (F5) or "There's more" (F6),
   which goes back to sharing.
5. Swap. After a confirm the roles change, and the next round begins.

Listening mode

Whoever does not hold the floor is listening. The composer closes: no
judging, no fixing, no answers of your own. You can only nod quietly:
1 sends a heart, 2 "I hear you", 3 "take your time".

Keys

ctrl+s send    tab move between cards and the composer    F1 this help
ctrl+q leave the session and quit

Press escape to close this help."""


class HelpScreen(ModalScreen[None]):
    """The flow ask → share → reflect → confirm → swap, and listening mode."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="guide"):
            yield Static(GUIDE)
