"""Where a letters room stands for one seat, in words: pure, so `--status` needs no Textual.

The screen and `fireside letters --status` say the same sentence from the same rules:
`Letter.waiting_on` and the threads of shared/letters.py (docs/protocol.md, Letters,
Each answer's thread).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from shared.events import Event
from shared.letters import Thread
from shared.seats import LETTER_PHASES, Mode, Phase, Seat
from shared.session import Session


@dataclass(frozen=True)
class Standing:
    """A letters room after its log: the room, and since when it has been this seat's move."""

    room: Session
    me: Seat
    move_since: Event | None
    """The event that made it this seat's move, or None while it is not."""

    @property
    def my_move(self) -> bool:
        return self.move_since is not None

    @property
    def conversations(self) -> int:
        """Letters finished: `round` counts from 1, and the open one is not finished."""
        return self.room.round - 1 if self.room.phase in LETTER_PHASES else 0


def follow(events: Iterable[Event], me: Seat) -> Standing:
    """The room after `events` (a whole log, in order), and when this seat's move began."""
    room = Session(mode=Mode.LETTERS)
    since: Event | None = None
    for event in events:
        room.observe(event)
        if not is_my_move(room, me):
            since = None
        elif since is None:
            since = event
    return Standing(room, me, since)


def is_my_move(room: Session, me: Seat) -> bool:
    """Whether the letter waits for this seat (docs/protocol.md, Letters: whose move)."""
    return room.phase in LETTER_PHASES and me in room.letter.waiting_on(room.phase)


def status_line(standing: Standing, partner: str | None) -> str:
    """One line for `--status` and the screen: what this seat may do, or whom it waits for."""
    room, me = standing.room, standing.me
    them = partner or "your partner"
    if room.phase is Phase.ENDED:
        return f"Letters with {them} ended."
    if room.phase not in LETTER_PHASES:
        return f"Waiting for {them} to join with your invite"
    if room.phase is Phase.PROPOSING:
        if standing.conversations == 0:
            return "Propose the first question"
        return "Both felt heard; propose the next question"
    letter = room.letter
    if room.phase is Phase.ANSWERING:
        if me in letter.answered:
            return f"Your answer is sealed; waiting for {them}"
        if me.partner in letter.answered:
            return f"{them} answered; your turn"
        asked = "You proposed" if room.asker is me else f"{them} proposed"
        return f"{asked} a question; your turn to answer"
    owed = _owed(letter.threads.get(me), letter.threads.get(me.partner), them)
    if owed:
        return "; ".join(owed)
    return _awaited(letter.threads.get(me), letter.threads.get(me.partner), them)


def _owed(mine: Thread | None, theirs: Thread | None, them: str) -> list[str]:
    owed = []
    if mine is Thread.CONFIRM:
        owed.append(f"{them} reflected your answer; say if you felt heard")
    elif mine is Thread.ADD:
        owed.append("add what more there is to your answer")
    if theirs is Thread.REFLECT:
        owed.append(f"reflect what you heard in {them}'s answer")
    if owed:
        owed[0] = owed[0][0].upper() + owed[0][1:]
    return owed


def _awaited(mine: Thread | None, theirs: Thread | None, them: str) -> str:
    if mine is Thread.REFLECT:
        return f"Waiting for {them} to reflect your answer"
    if theirs is Thread.CONFIRM:
        return f"Waiting for {them} to say if they felt heard"
    if theirs is Thread.ADD:
        return f"Waiting for {them} to add more"
    return f"Waiting for {them}"


def when(at: int, now: datetime, zone: tzinfo) -> str:
    """An event's time (`at`, Unix ms) as the person reads it in `zone`: "21:04" today,
    "Tue 21:04" within the week, else the date."""
    moment = datetime.fromtimestamp(at / 1000, zone)
    today = now.astimezone(zone).date()
    if moment.date() == today:
        return moment.strftime("%H:%M")
    if today - moment.date() < timedelta(days=7):
        return moment.strftime("%a %H:%M")
    return f"{moment.day} {moment.strftime('%b %Y')}"


def zone_of(name: str | None) -> tzinfo:
    """The zone `letters.zone` names (checked by client/settings.py), else the system's own."""
    if name is not None:
        return ZoneInfo(name)
    local = datetime.now().astimezone().tzinfo
    assert local is not None, "astimezone() always gives a zone"
    return local
