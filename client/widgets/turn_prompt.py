"""A gentle line telling the floor holder what this moment is for."""

from rich.text import Text
from textual.reactive import var
from textual.widgets import Static

from client.outlook import Outlook
from shared.seats import Phase

_YOUR_TURN = {
    Phase.ASKING: "Your turn to ask: write a question and press ctrl+s, or pick a card"
    " (ctrl+↑↓, F8 asks it). F2 hands the asking to your partner.",
    Phase.SHARING: "Your turn to share: take your time. ctrl+s sends, F3 when you are done;"
    " F4 if you would rather not answer.",
    Phase.REFLECTING: "Say back what you heard and why it makes sense (a starter helps:"
    " ctrl+↑↓, F8 puts it in). ctrl+s sends.",
    Phase.CONFIRMING: "Did you feel heard? F5: yes, you heard me. F6: there's more.",
}


class TurnPrompt(Static):
    """Guidance for whoever holds the floor, and the words for waiting and ending."""

    outlook: var[Outlook | None] = var(None)

    def watch_outlook(self, outlook: Outlook | None) -> None:
        words = prompt_for(outlook)
        self.display = words is not None
        if words is not None:
            self.update(words)


def prompt_for(outlook: Outlook | None) -> Text | None:
    """What to say now, or None while listening (the listening banner speaks then)."""
    if outlook is None:
        return Text("Connecting…")
    phase = outlook.state.phase
    if phase is Phase.WAITING and not outlook.partner_online:
        return Text("Waiting for your partner to join. Share the invite and command above.")
    if phase is Phase.WAITING:
        return Text("Your partner is here. Checking that you both have the same code…")
    if phase is Phase.ENDED:
        return Text("The session has ended. Thank you for listening to each other. ctrl+q closes.")
    if outlook.holds_floor:
        return Text(_YOUR_TURN[phase])
    return None
