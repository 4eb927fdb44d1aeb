"""`fireside`: host, create, join or resume a session; Textual is imported only when needed."""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import replace

from client import journal_command
from client.entry import DEFAULT_PORT, DEFAULT_SERVER, Entry
from client.journal import journal_wanted
from client.saved_seats import UNSEALED, SeatShelf
from client.settings import Settings, config_path, described, load_settings
from shared.crypto.invite import InviteError
from shared.fields import name_problem

HOST_EVERYWHERE = "0.0.0.0"
"""`fireside host` listens on every interface, so the partner can reach it."""

FAST_PACE = 0.1
"""`fireside demo --fast`: Sam's pauses at a tenth of their length."""


def _port(text: str) -> int:
    """A TCP port from 1 to 65535; anything else is one line of usage, not a traceback."""
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port from 1 to 65535")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fireside",
        description="Sit down together from afar: take turns to ask, share, and really listen.",
    )
    _no_journal(parser, default=False)
    parser.add_argument("--theme", help="a Textual theme for this run (default: from the config)")
    parser.add_argument(
        "--bell",
        action=argparse.BooleanOptionalAction,
        help="ring the terminal bell when it becomes your turn (default: from the config)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    host = commands.add_parser(
        "host", help="run a server here, create a room and invite your partner"
    )
    host.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT})",
    )
    host.add_argument("--name", help="your name as your partner sees it")
    _no_journal(host)

    join = commands.add_parser("join", help="join your partner's room with their invite")
    join.add_argument(
        "code", metavar="INVITE", help="the invite your partner gave you: NAMEPLATE-word-word-word"
    )
    join.add_argument(
        "--server", help="the server URL, e.g. ws://192.168.1.20:8765 (default: from the config)"
    )
    join.add_argument("--name", help="your name as your partner sees it")
    _no_journal(join)

    create = commands.add_parser(
        "create", help="create a room on a server and get an invite to share"
    )
    create.add_argument(
        "--server", help=f"the server URL (default: from the config, else {DEFAULT_SERVER})"
    )
    create.add_argument("--name", help="your name as your partner sees it")
    _no_journal(create)

    resume = commands.add_parser(
        "resume", help="go back into a session after the window closed (seats are kept on disk)"
    )
    resume.add_argument(
        "code", nargs="?", help="the room code, when you have more than one saved session"
    )
    _no_journal(resume)
    journal_command.add_parser(commands)
    commands.add_parser(
        "config", help="show where the config file is, each setting, and where it came from"
    )
    demo = commands.add_parser(
        "demo", help="practise alone with Sam, a scripted partner, before inviting anyone"
    )
    demo.add_argument("--name", help="your name in the practice room")
    demo.add_argument(
        "--fast", action="store_true", help="Sam pauses a tenth as long (for a quick look)"
    )
    return parser


def _no_journal(parser: argparse.ArgumentParser, default: object = argparse.SUPPRESS) -> None:
    """`--no-journal` before or after the command; a subcommand's absent flag leaves it be."""
    parser.add_argument(
        "--no-journal",
        action="store_true",
        default=default,
        help="keep no journal of this session on this machine",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the app; problems before the UI are one line on stderr."""
    args = _parser().parse_args(argv)
    flags = {key: getattr(args, key, None) for key in ("server", "name", "theme", "bell")}
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
    if args.command == "demo":
        return _demo(name, fast=args.fast)
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
    return 0


def _demo(name: str, *, fast: bool) -> int:
    """A practice room on 127.0.0.1 with Sam; nothing is kept (no journal, no saved seat)."""
    from client.demo.app import run_demo

    asyncio.run(run_demo(name, pace=FAST_PACE if fast else 1.0))
    return 0


def _resume(code: str | None, journal: bool, settings: Settings) -> int:
    """Take back the one saved seat, or the one in room `code`; otherwise say what there is."""
    shelf = SeatShelf.default()
    seats = shelf.matching(code)
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
