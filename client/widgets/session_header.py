"""The top line: room code, the partner and whether they are here, the round, who has the floor."""

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from client.outlook import Outlook
from shared.seats import Phase

ELLIPSIS = "…"
CONNECTING = "Fireside · connecting…"


class SessionHeader(Widget):
    """Where we are in the session, at a glance, on one line whatever the width."""

    outlook: reactive[Outlook | None] = reactive(None)

    def render(self) -> Text:
        if self.outlook is None:
            return Text(CONNECTING)
        return describe(self.outlook, self.content_size.width)


def describe(outlook: Outlook, width: int) -> Text:
    """The header words in at most `width` cells; the partner's name stays plain text.

    A long name (shared/fields.py NAME_MAX) gives way, so the room, the round and the floor
    stay readable: first "Fireside" goes, then the floor says "they" instead of the name
    again, then the name is shortened to end in an ellipsis.
    """
    name = outlook.partner_name
    for brand, again in ((True, True), (False, True), (False, False)):
        words = _words(outlook, name, brand=brand, again=again)
        if words.cell_len <= width:
            return words
    for keep in range(len(name) - 1, 0, -1):
        words = _words(outlook, name[:keep].rstrip() + ELLIPSIS, brand=False, again=False)
        if words.cell_len <= width:
            return words
    # Narrower than any name leaves room for: the end of the line gives way too.
    words.truncate(width, overflow="ellipsis")
    return words


def _words(outlook: Outlook, name: str, *, brand: bool, again: bool) -> Text:
    """The header naming the partner `name`, with "Fireside" first if `brand`; `again`
    names them a second time (not "they") when they have the floor."""
    state = outlook.state
    parts = Text.assemble(("Fireside", "bold"), " · ") if brand else Text()
    parts.append(f"room {outlook.code}")
    if state.phase is Phase.WAITING or outlook.names.get(outlook.partner) is None:
        parts.append(" · pairing" if outlook.partner_online else " · waiting for your partner")
        return parts
    presence = "here" if outlook.partner_online else "away"
    parts.append(" · with ")
    parts.append(Text(name, style="bold"))
    parts.append(f" ({presence})")
    if state.phase is Phase.ENDED:
        parts.append(" · session ended")
        return parts
    parts.append(f" · round {state.round} · ")
    if outlook.holds_floor:
        parts.append("you have the floor")
    elif again:
        parts.append(Text(name))
        parts.append(" has the floor")
    else:
        parts.append("they have the floor")
    return parts
