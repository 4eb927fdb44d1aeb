"""Leaving the server has not heard yet: what the person is told about it.

A seat is forgotten only once an event shows its room ended (client/saved_seats.py).
A leave made offline keeps the seat marked leaving, with its note, and goes out again
each time the link is back.
"""

SENDING = "Telling the server that you left…"
TOLD = "The server has heard: {partner}'s Fireside shows that the session has ended."
OFFLINE = (
    "You are offline, so the server has not heard that you left, and {partner} does not know yet."
)
KEEP_TRYING = "Fireside keeps trying while this window is open"
NEXT_START = ", and finishes leaving the next time you start it."


def summary_line(
    partner: str, *, ended: bool, connected: bool, kept: bool, stopped: str | None
) -> str:
    """Where this seat's leave stands, for the summary: told, on its way, or waiting."""
    if ended:
        return TOLD.format(partner=partner)
    if stopped is not None:
        return stopped
    if connected:
        return SENDING
    later = NEXT_START if kept else "."
    return f"{OFFLINE.format(partner=partner)} {KEEP_TRYING}{later}"
