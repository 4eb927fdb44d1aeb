"""What each `fireside` command does once client/cli.py has parsed the line.

Textual, the server and the demo are imported by the commands that open them.
"""

import argparse
import asyncio
import sys
from dataclasses import replace

from client import journal_command, letters_command
from client.entry import Entry
from client.journal import journal_wanted
from client.saved_seats import UNSEALED, SavedSeat, SeatShelf
from client.settings import Settings, config_path, described, load_settings
from shared.crypto.invite import InviteError
from shared.fields import name_problem

HOST_EVERYWHERE = "0.0.0.0"
"""`fireside host` listens on every interface, so the partner can reach it."""

FAST_PACE = 0.1
"""`fireside demo --fast`: Sam's pauses at a tenth of their length."""

_NOT_HEARD = (
    "the server has not heard yet that you left room {code}; Fireside finishes leaving "
    "the next time it starts (or now: fireside resume {code})."
)


def run(args: argparse.Namespace) -> int:
    """Run the command `args` names (client/cli.py parsed them); problems are one line on stderr."""
    flags = {
        key: getattr(args, key, None)
        for key in ("server", "name", "theme", "bell", "zone", "remind", "notify")
    }
    settings = load_settings(flags)
    if args.command == "config":
        print(described(settings, config_path()))
    if settings.problem is not None:
        print(f"fireside: {settings.problem}", file=sys.stderr)
    if args.command == "config":
        return 0
    if args.command == "journal":
        return journal_command.run(args)
    journal = journal_wanted(args.no_journal) and settings.journal
    if args.command == "resume":
        return _resume(args.code, journal, settings)
    name = settings.name.strip()
    problem = name_problem(name)
    if problem is not None:
        print(f"fireside: your name {problem}.", file=sys.stderr)
        return 2
    if args.command == "letters":
        return letters_command.run(args, replace(settings, name=name, journal=journal))
    if args.command == "demo":
        return _demo(name, settings, fast=args.fast)
    if args.command == "host":
        return asyncio.run(_host(args.port, name, journal, settings))
    if args.command == "join":
        try:
            entry = replace(Entry.joining(settings.server, name, args.code), journal=journal)
        except InviteError as exc:
            print(f"fireside: {exc}", file=sys.stderr)
            return 2
        return _run(entry, settings, enter_now=True)
    if args.command == "create":
        return _run(Entry(settings.server, name, journal=journal), settings, enter_now=True)
    return _run(Entry(settings.server, name, journal=journal), settings, enter_now=False)


def _run(entry: Entry, settings: Settings, *, enter_now: bool) -> int:
    from client.app import FiresideApp

    FiresideApp(entry, enter_now=enter_now, settings=settings).run()
    for seat in SeatShelf.default().leaving():
        # Said again once the screen is gone: the summary said it, but it is worth knowing.
        print(f"fireside: {_NOT_HEARD.format(code=seat.code)}", file=sys.stderr)
    return 0


def _demo(name: str, settings: Settings, *, fast: bool) -> int:
    """A practice room on 127.0.0.1 with Sam; nothing is kept (no journal, no saved seat)."""
    from client.demo.app import run_demo

    asyncio.run(run_demo(name, settings, pace=FAST_PACE if fast else 1.0))
    return 0


def _resume(code: str | None, journal: bool, settings: Settings) -> int:
    """Take back the one saved seat, or the one in room `code`; otherwise say what there is.

    A seat being left is never taken back: when only such seats match, their leaving is
    finished here instead (client/leaving.py).
    """
    shelf = SeatShelf.default()
    matching = shelf.matching(code)
    seats = [seat for seat in matching if not seat.leaving]
    if not seats and (leaving := [seat for seat in matching if seat.leaving]):
        return asyncio.run(_finish_leaving(leaving, shelf))
    if len(seats) == 1 and not seats[0].resumable:
        shelf.forget(seats[0].server, seats[0].code)
        print(f"fireside: {UNSEALED.format(code=seats[0].code)}", file=sys.stderr)
        return 1
    if len(seats) == 1:
        return _run(replace(Entry.resuming(seats[0]), journal=journal), settings, enter_now=True)
    if not seats:
        where = f" for room {code}" if code is not None else ""
        print(f"fireside: there is no saved session{where} to resume.", file=sys.stderr)
        return 1
    rooms = ", ".join(seat.code for seat in seats)
    print(
        f"fireside: you have saved sessions in rooms {rooms}; say which with: fireside resume CODE",
        file=sys.stderr,
    )
    return 2


async def _finish_leaving(seats: list[SavedSeat], shelf: SeatShelf) -> int:
    """Finish each seat's leave, one line each; 1 if one of them is not finished yet."""
    from client.leaving import finish_leaving

    finished = True
    for seat in seats:
        parted = await finish_leaving(seat, shelf)
        print(f"fireside: {parted.sentence}", file=sys.stderr)
        finished = finished and parted.finished
    return 0 if finished else 1


async def _host(port: int, name: str, journal: bool, settings: Settings) -> int:
    """Serve on every interface in this process, then create a room on it."""
    from client.addresses import server_urls
    from client.app import FiresideApp
    from server.app import cannot_listen, start_server
    from server.config import ServerConfig

    try:
        running = await start_server(ServerConfig(host=HOST_EVERYWHERE, port=port))
    except OSError as exc:
        print(f"fireside: {cannot_listen(HOST_EVERYWHERE, port, exc)}", file=sys.stderr)
        return 1
    try:
        entry = Entry(
            f"ws://127.0.0.1:{running.port}",
            name,
            invite_servers=server_urls(running.port),
            journal=journal,
        )
        # The room lives in this process's memory and dies with it: nothing worth keeping.
        await FiresideApp(entry, enter_now=True, keep_seats=False, settings=settings).run_async()
    finally:
        await running.close()
    return 0
