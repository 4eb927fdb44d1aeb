"""`fireside journal`: list past sessions, print one, or export a copy."""

import argparse
import shutil
import sys
from pathlib import Path


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`journal`, `journal show N`, `journal export N PATH`."""
    journal = commands.add_parser(
        "journal", help="list past sessions kept on this machine, print or export one"
    )
    actions = journal.add_subparsers(dest="journal_action", metavar="ACTION")
    show = actions.add_parser("show", help="print session N of the list")
    show.add_argument("number", type=int, metavar="N")
    export = actions.add_parser("export", help="write a copy of session N to PATH")
    export.add_argument("number", type=int, metavar="N")
    export.add_argument("path", type=Path, metavar="PATH")


def run(args: argparse.Namespace) -> int:
    """List, show or export; one line on stderr when there is no such session."""
    # Here, not at the top: add_parser runs for every `fireside --help`, and the journal
    # brings the crypto with it (client/cli.py).
    from client.journal import journal_dir, readable, sessions

    found = sessions()
    if args.journal_action is None:
        if not found:
            print(f"No sessions in the journal yet ({journal_dir()}).")
            return 0
        for number, entry in enumerate(found, start=1):
            partner = entry.partner if entry.partner is not None else "(your partner never joined)"
            print(f"{number:>3}  {entry.date}  with {partner}")
        return 0
    if not 1 <= args.number <= len(found):
        print(
            f"fireside: there is no session {args.number} in the journal; "
            "`fireside journal` lists them.",
            file=sys.stderr,
        )
        return 1
    entry = found[args.number - 1]
    if args.journal_action == "show":
        sys.stdout.write(readable(entry.path))
        return 0
    try:
        args.path.write_text(readable(entry.path), encoding="utf-8")
    except OSError as exc:
        print(f"fireside: could not write {args.path}: {exc.strerror}", file=sys.stderr)
        return 1
    shutil.copymode(entry.path, args.path)
    print(f"Session {args.number} written to {args.path}.")
    return 0
