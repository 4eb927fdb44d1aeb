"""The top line: room code, the partner and whether they are here, the round, who has the floor."""

from rich.text import Text
from textual.reactive import var
from textual.widgets import Static

from client.outlook import Outlook
from shared.seats import Phase


class SessionHeader(Static):
    """Where we are in the session, at a glance."""

    outlook: var[Outlook | None] = var(None)

    def watch_outlook(self, outlook: Outlook | None) -> None:
        self.update(describe(outlook) if outlook is not None else Text("Fireside · connecting…"))


def describe(outlook: Outlook) -> Text:
    """The header words; the partner's name stays plain text."""
    state = outlook.state
    parts = Text.assemble(("Fireside", "bold"), f" · room {outlook.code}")
    if state.phase is Phase.WAITING or outlook.names.get(outlook.partner) is None:
        parts.append(" · pairing" if outlook.partner_online else " · waiting for your partner")
        return parts
    presence = "here" if outlook.partner_online else "away"
    parts.append(" · with ")
    parts.append(Text(outlook.partner_name, style="bold"))
    parts.append(f" ({presence})")
    if state.phase is Phase.ENDED:
        parts.append(" · session ended")
        return parts
    parts.append(f" · round {state.round} · ")
    if outlook.holds_floor:
        parts.append("you have the floor")
    else:
        parts.append(Text(outlook.partner_name))
        parts.append(" has the floor")
    return parts
