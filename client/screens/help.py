"""F1: how a Fireside session flows, and what listening mode asks of you."""

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

GUIDE = "\n".join(
    (
        "How a round goes",
        "",
        "1. Ask. The asker writes a question of their own and sends it with ctrl+s, or"
        " picks a card (warm-ups first, deeper ones later): ctrl+↓ and ctrl+↑ (or alt+↓"
        " and alt+↑) move between the cards, F8 asks the one under the cursor, and so"
        " does a click. ctrl+n changes the deck, ctrl+l the depth, ctrl+r draws a card"
        " at random. Letters always go to the composer. F2 hands the asking over.",
        "2. Share. The other person answers in as many messages as they like (ctrl+s"
        " sends each one) and presses F3 when done. F4 passes on a question.",
        "3. Reflect. The asker says back what they heard and why it makes sense;"
        " the starters beside the transcript help to begin: ctrl+↓ and ctrl+↑ move"
        " between them, F8 puts one in the composer.",
        '4. Confirm. The speaker presses F5 for "Yes, you heard me" or F6 for'
        ' "There\'s more", which goes back to sharing.',
        "5. Swap. After a confirm the roles change and the next round begins.",
        "",
        "Listening mode",
        "",
        "Whoever does not hold the floor is listening: the composer closes. No judging,"
        " no fixing, no answers of your own. You can nod quietly: 1 sends a heart,"
        ' 2 "I hear you", 3 "take your time".',
        "",
        "Leaving",
        "",
        "ctrl+q leaves the session, which ends it for both of you: it asks first, with"
        " room for a closing note. Type the note straight away, ctrl+s leaves with it and"
        " escape stays. Offline, the seat is kept until the server has heard: Fireside"
        " keeps trying, and finishes leaving the next time it starts.",
        "",
        "escape closes this help.",
    )
)


class HelpScreen(ModalScreen[None]):
    """The flow ask → share → reflect → confirm → swap, and listening mode."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="guide"):
            yield Static(GUIDE)
