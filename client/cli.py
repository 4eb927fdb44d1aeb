"""`fireside`'s command line: host, create, join or resume a session, and the rest.

Only the parser is imported up front; what a command does (client/commands.py)
is imported once the line has parsed, so `--help` and a usage error never load
Textual, websockets or the crypto (issue 6: help in 0.3 s).
"""

import argparse
from collections.abc import Sequence

from client import journal_command, letters_command
from client.defaults import DEFAULT_PORT, DEFAULT_SERVER
from shared.version import VersionAction


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
    parser.add_argument("--version", action=VersionAction)
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
    letters_command.add_parser(commands)
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
    """Parse the command line and run the command; --help and usage errors end in the parse."""
    args = _parser().parse_args(argv)
    from client.commands import run  # only now: see the module docstring

    return run(args)
