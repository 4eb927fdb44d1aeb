"""`fireside letters`: open the couple's letters room, print where it stands, or end it.

`--status` is for a shell prompt or a cron job: one `peek` (docs/protocol.md, Letters,
Peeking), one line, no Textual, and the notify hook run if it is now the person's move.
"""

import argparse
import re
import sys
import zoneinfo
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what `run` needs is imported there: the parser is built for every --help
    from client.saved_seats import SavedSeat
    from client.settings import Settings

NO_SERVER = (
    "fireside: letters need a server that stays up between your visits: give one with "
    "--server, FIRESIDE_SERVER or `server` in the config."
)
NO_LETTERS = "No letters yet: run fireside letters to start"

PEEK_WITHIN = 10.0
"""Seconds `--status` gives the server to answer, connecting included."""


def _zone(text: str) -> str:
    """A time zone zoneinfo knows; anything else is one line of usage, not a traceback."""
    try:
        zoneinfo.ZoneInfo(text)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time zone like Europe/Berlin"
        ) from None
    return text


def _window(text: str) -> str:
    if re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", text) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a window like 18:00-22:00")
    return text


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`letters`, `letters join INVITE`, `letters --status`, `letters --end`."""
    letters = commands.add_parser(
        "letters", help="answer one question at a time with your partner, each in your own time"
    )
    letters.add_argument(
        "join",
        nargs="?",
        choices=["join"],
        help="join your partner's letters with their invite (first time only)",
    )
    letters.add_argument("invite", nargs="?", metavar="INVITE", help="your partner's invite")
    letters.add_argument("--server", help="the server URL, one that stays up (required once)")
    letters.add_argument("--name", help="your name as your partner sees it")
    letters.add_argument(
        "--zone", type=_zone, help="the time zone to show times in, e.g. Europe/Berlin"
    )
    letters.add_argument(
        "--remind", type=_window, metavar="HH:MM-HH:MM", help="when --notify may run"
    )
    letters.add_argument("--notify", metavar="COMMAND", help="run when it becomes your move")
    what = letters.add_mutually_exclusive_group()
    what.add_argument("--status", action="store_true", help="print where the letter stands")
    what.add_argument("--end", action="store_true", help="end the letters for both of you")


def saved_letters() -> "SavedSeat | None":
    """The letters seat kept on this machine, if there is one."""
    from client.saved_seats import SeatShelf
    from shared.seats import Mode

    shelf = SeatShelf.letters().all()
    seats = [seat for seat in shelf if seat.resumable and seat.mode is Mode.LETTERS]
    return seats[0] if seats else None


def run(args: argparse.Namespace, settings: "Settings") -> int:
    """Open, peek or end; problems are one sentence on stderr, 2 for a usage problem."""
    import asyncio

    from client.settings import DEFAULT

    saved = saved_letters()
    if args.status:
        if saved is None:
            print(NO_LETTERS)
            return 1
        return asyncio.run(_status(saved, settings))
    if args.end:
        if saved is None:
            print(NO_LETTERS)
            return 1
        return asyncio.run(_end(saved))
    if args.join is not None and args.invite is None:
        print("fireside: say whose letters to join: fireside letters join INVITE", file=sys.stderr)
        return 2
    if saved is not None and args.invite is not None:
        partner = saved.partner or "your partner"
        print(
            f"fireside: you already have letters with {partner}; end them first with "
            "fireside letters --end",
            file=sys.stderr,
        )
        return 2
    if saved is None and settings.origin("server") == DEFAULT:
        # The embedded `fireside host` dies with its window, and a letter waits for days.
        print(NO_SERVER, file=sys.stderr)
        return 2
    from client.letters_app import run_letters  # Textual only now: see the module docstring

    return run_letters(saved, settings, invite=args.invite)


async def _status(saved: "SavedSeat", settings: "Settings") -> int:
    """`--status`: one line on stdout, or one sentence on stderr and 2."""
    line, reached = await status(saved, settings)
    if not reached:
        print(f"fireside: {line}", file=sys.stderr)
        return 2
    print(line)
    return 0


async def status(saved: "SavedSeat", settings: "Settings") -> tuple[str, bool]:
    """One `peek`: the line, and whether the server answered; the hook runs if it is the
    person's move and the hour is right."""
    from client.letters_hook import notify
    from client.letters_peek import peek
    from client.letters_story import follow, status_line, zone_of
    from client.saved_seats import SeatShelf
    from shared.errors import ErrorCode
    from shared.events import ErrorReply
    from shared.seats import Phase

    joined = await peek(saved, within=PEEK_WITHIN)
    if isinstance(joined, str):
        return joined, False
    if isinstance(joined, ErrorReply):
        if joined.code not in (ErrorCode.NO_ROOM, ErrorCode.BAD_TOKEN):
            return f"the server did not say: {joined.message}.", False
        # Ended a day ago, or a year without a word: the server deleted the room, as the
        # window does when it finds this, the seat goes too.
        SeatShelf.letters().forget(saved.server, saved.code)
        partner = saved.partner or "your partner"
        return f"Letters with {partner} are over: the server no longer has them.", True
    standing = follow(joined.events, saved.seat)
    line = status_line(standing, saved.partner)
    if standing.room.phase is Phase.ENDED:
        SeatShelf.letters().forget(saved.server, saved.code)
    elif standing.move_since is not None:
        notify(
            SeatShelf.letters().directory,
            saved.code,
            standing.move_since.seq,
            line,
            command=settings.notify,
            remind=settings.remind,
            now=datetime.now(zone_of(settings.zone)),
        )
    return line, True


async def _end(saved: "SavedSeat") -> int:
    """Leave the letters room, which ends it for both, and forget the seat once it has ended."""
    from client.leaving import finish_leaving
    from client.saved_seats import SeatShelf

    parted = await finish_leaving(replace(saved, leaving=True), SeatShelf.letters(), PEEK_WITHIN)
    if parted.finished:
        print(f"Letters with {saved.partner or 'your partner'} ended.")
        return 0
    # The seat on the shelf was never marked leaving: nothing finishes this later by itself.
    print(
        f"fireside: the letters server at {saved.server} did not hear it, so the letters are "
        "kept; try fireside letters --end again later.",
        file=sys.stderr,
    )
    return 2
