"""F1: how a Fireside session flows, and what listening mode asks of you."""

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

# Short enough to be read whole at 80x24 without scrolling (tests/client/test_dialogs.py):
# add a line only by taking one out.
GUIDE = Text.assemble(
    ("How a round goes\n", "bold"),
    "1. Ask. The asker writes a question (ctrl+s) or picks a card: ctrl+↑↓"
    " or alt+↑↓ move through them, F8 or a click asks one; ctrl+n changes the deck,"
    " ctrl+l the depth, ctrl+r draws at random. F2 hands the asking over.\n"
    "2. Share. The other person answers in as many messages as they like (ctrl+s"
    " sends each) and presses F3 when done. F4 passes on a question.\n"
    "3. Reflect. The asker says back what they heard and why it makes sense; the"
    " starters beside the transcript help to begin: ctrl+↑↓ moves through them, F8 puts"
    " one in the composer.\n"
    '4. Confirm. The speaker presses F5 for "Yes, you heard me" or F6 for'
    ' "There\'s more", which goes back to sharing.\n'
    "5. Swap. The roles change and the next round begins.\n\n",
    ("Listening mode\n", "bold"),
    "Whoever does not hold the floor is listening: the composer closes. No judging,"
    " no fixing, no answers of your own. Nod quietly: 1 sends a heart,"
    ' 2 "I hear you", 3 "take your time".\n\n',
    ("Any time\n", "bold"),
    "page up and page down scroll the transcript. F7 shows four words to compare with"
    " your partner. ctrl+p lists every move by name, and the themes. ctrl+q leaves, for both of"
    " you: type a closing note, ctrl+s leaves, escape stays.",
)


class HelpScreen(ModalScreen[None]):
    """The flow ask → share → reflect → confirm → swap, and listening mode."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        guide = VerticalScroll(id="guide")
        # In the border, not a line of its own: the guide has no line to spare at 80x24.
        guide.border_subtitle = "escape closes this help"
        with guide:
            yield Static(GUIDE)
