"""A list the screen moves a cursor through while the composer keeps the focus."""

from textual.widgets import OptionList


class CursorList(OptionList):
    """An option list that never takes the focus, its cursor drawn as in a focused list.

    The composer keeps the focus for the whole turn, so every letter typed is a letter of the
    message however fast it comes (issue 10). The session screen moves the cursor with keys
    that are not letters (`step`); a click still chooses an option.
    """

    can_focus = False

    DEFAULT_CSS = """
    CursorList > .option-list--option-highlighted {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: $block-cursor-text-style;
    }
    """
    """The cursor looks as it does in a focused list: it is the option F8 takes."""

    def step(self, by: int) -> None:
        """Move the cursor one option back (`by` < 0) or on."""
        if by < 0:
            self.action_cursor_up()
        else:
            self.action_cursor_down()
