"""The session journal: each session written as Markdown on this machine, event by event.

Every event is appended and flushed as it arrives (a long log in one write), so a crash
loses nothing. A resumed session reads the whole log again from seq 1
(client/saved_seats.py); the journal keeps the last seq it wrote in the file itself and
skips what it already has.
What a person typed is escaped so that it reads as plain text: no link, heading,
HTML or emphasis can come from a partner's words. The journal never leaves the machine.
"""

import hashlib
import json
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import platformdirs

from client.seat.opened import Opened
from shared.events import EventKind
from shared.seats import LETTER_PHASES, NodKind, Seat

DATA_DIR_ENV = "FIRESIDE_DATA_DIR"
"""Where the journal lives instead of the platform's data directory (tests use a tmp dir)."""

JOURNAL_ENV = "FIRESIDE_JOURNAL"
"""`0` turns the journal off, like `--no-journal`."""

_PRIVATE_DIR = 0o700
_PRIVATE_FILE = 0o600
"""The journal holds what people wrote: only its owner may read it."""

_SEQ = re.compile(r"^<!-- seq (\d+) -->$", re.MULTILINE)
_PARTNER = re.compile(r"^<!-- partner (.*) -->$", re.MULTILINE)
_STARTED = re.compile(r"^<!-- started (\d+) -->$", re.MULTILINE)
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
"""Every ASCII punctuation mark, each of which CommonMark lets a backslash make literal."""

TROUBLE = "The journal could not be written ({why}); the session goes on without it."

_NODS = {NodKind.HEART: "♥", NodKind.HEAR: "I hear you", NodKind.TIME: "Take your time"}


def journal_dir() -> Path:
    """`$FIRESIDE_DATA_DIR/journal`, or the platform's data directory for Fireside."""
    base = os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir("fireside")
    return Path(base) / "journal"


def journal_wanted(no_journal: bool) -> bool:
    """Whether to keep a journal: not with `--no-journal`, nor with `FIRESIDE_JOURNAL=0`."""
    return not no_journal and os.environ.get(JOURNAL_ENV, "").strip() != "0"


def plain(text: str) -> str:
    """`text` as Markdown that renders as exactly that text, one quoted line per line."""
    lines = []
    written = text.split("\n")
    for number, line in enumerate(written, start=1):
        escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", line)
        # Leading spaces would make a code block: keep them, but as no-break spaces.
        stripped = escaped.lstrip(" ")
        escaped = "\u00a0" * (len(escaped) - len(stripped)) + stripped
        # A backslash at the end of a line is a hard break: the lines stay lines.
        following = written[number] if number < len(written) else ""
        ending = "\\" if escaped.strip() and following.strip() else ""
        lines.append(f"> {escaped}{ending}".rstrip())
    return "\n".join(lines)


def _hidden(value: str) -> str:
    """`value` as JSON that cannot close an HTML comment."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("-", "\\u002d")


def _room_key(server: str, code: str) -> str:
    return hashlib.sha256(f"{server}\n{code}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class JournalEntry:
    """One journal file, as `fireside journal` lists it."""

    path: Path
    started: int
    """Unix seconds of the session's first journalled event."""
    partner: str | None

    @property
    def date(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.started))


class Journal:
    """The journal file of one seat in one room, appended to as the events arrive."""

    def __init__(
        self, path: Path, me: Seat, last_seq: int = 0, *, title: str = "Fireside session"
    ) -> None:
        self.path = path
        self.me = me
        self.title = title
        """The file's first heading: a live session's, or the letters'."""
        self.last_seq = last_seq
        """The last seq in the file: a replayed log skips up to here."""
        self.broken = False
        self._round = 0
        self._partner_known = False

    @classmethod
    def start(
        cls, server: str, code: str, me: Seat, *, resumed: bool, title: str = "Fireside session"
    ) -> "Journal | str":
        """`open`, or the sentence saying why the journal cannot be kept."""
        try:
            return cls.open(server, code, me, resumed=resumed, title=title)
        except OSError as exc:
            return TROUBLE.format(why=exc.strerror or type(exc).__name__)

    @classmethod
    def open(
        cls, server: str, code: str, me: Seat, *, resumed: bool, title: str = "Fireside session"
    ) -> "Journal":
        """A new file for a new session; the newest file of this room when `resumed`."""
        directory = journal_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=_PRIVATE_DIR)
        os.chmod(directory, _PRIVATE_DIR)
        key = _room_key(server, code)
        if resumed:
            kept = sorted(directory.glob(f"*-{key}.md"))
            if kept:
                return cls._continuing(kept[-1], me)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = directory / f"{stamp}-{key}.md"
        counter = 1
        while path.exists():
            counter += 1
            path = directory / f"{stamp}.{counter}-{key}.md"
        return cls(path, me, title=title)

    @classmethod
    def _continuing(cls, path: Path, me: Seat) -> "Journal":
        text = path.read_text(encoding="utf-8")
        seqs = [int(found) for found in _SEQ.findall(text)]
        journal = cls(path, me, max(seqs, default=0))
        journal._round = max(
            (int(n) for n in re.findall(r"^## Round (\d+)$", text, re.M)), default=0
        )
        journal._partner_known = _PARTNER.search(text) is not None
        return journal

    def write(self, batch: Sequence["Opened"]) -> str | None:
        """Append the events of `batch` the file does not hold yet, flushed to disk; or say why not.

        A batch is what one reply brought (a `joined` may carry the whole log): one write and
        one fsync for all of it. After one failed write the journal stops: a gap in it would
        read as a lie.
        """
        fresh = [opened for opened in batch if opened.seq > self.last_seq]
        if self.broken or not fresh:
            return None
        try:
            self._write(fresh)
        except OSError as exc:
            self.broken = True
            return TROUBLE.format(why=exc.strerror or type(exc).__name__)
        return None

    def _write(self, fresh: Sequence["Opened"]) -> None:
        parts = [self._heading(fresh[0])] if self.last_seq == 0 else []
        for opened in fresh:
            block = self._block(opened)
            if block:
                parts.append(block + "\n\n")
            parts.append(f"<!-- seq {opened.seq} -->\n\n")
        with self._append() as out:
            out.write("".join(parts))
            out.flush()
            os.fsync(out.fileno())
        self.last_seq = fresh[-1].seq

    def _append(self) -> IO[str]:
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, _PRIVATE_FILE)
        os.fchmod(descriptor, _PRIVATE_FILE)
        return os.fdopen(descriptor, "a", encoding="utf-8")

    def _heading(self, opened: "Opened") -> str:
        seconds = opened.event.at // 1000
        day = time.strftime("%A %d %B %Y, %H:%M", time.localtime(seconds))
        return f"# {self.title}\n\n{day}\n\n<!-- started {seconds} -->\n\n"

    def _who(self, opened: "Opened") -> str:
        name = opened.names.get(opened.by)
        if opened.by is self.me:
            return "You" if name is None else _bold(name)
        return "Your partner" if name is None else _bold(name)

    def _block(self, opened: "Opened") -> str:
        kind = opened.kind
        who = self._who(opened)
        parts: list[str] = []
        if kind is EventKind.HELLO:
            parts.append(f"{who} sat down.")
            name = opened.names.get(opened.by)
            if opened.by is not self.me and name is not None and not self._partner_known:
                parts.append(f"<!-- partner {_hidden(name)} -->")
                self._partner_known = True
        elif kind is EventKind.ASK:
            if opened.state.round != self._round:
                self._round = opened.state.round
                parts.append(f"## Round {self._round}")
            card = ", from a question card" if opened.card else ""
            parts.append(f"{who} asked{card}:\n\n{plain(opened.text or '')}")
        elif kind is EventKind.PROPOSE:
            # docs/protocol.md, Letters: in a letters room `round` is the letter's number.
            parts.append(f"## Letter {opened.state.round}")
            card = ", from a question card" if opened.card else ""
            parts.append(f"{who} proposed{card}:\n\n{plain(opened.text or '')}")
        elif kind is EventKind.REVEAL:
            parts.append(f"{who} answered:\n\n{plain(opened.text or '')}")
        elif kind is EventKind.SAY and opened.state.phase in LETTER_PHASES:
            parts.append(f"{who} added to the answer:\n\n{plain(opened.text or '')}")
        elif kind is EventKind.SAY:
            parts.append(f"{who} shared:\n\n{plain(opened.text or '')}")
        elif kind is EventKind.REFLECT:
            parts.append(f"{who} reflected back:\n\n{plain(opened.text or '')}")
        elif kind is EventKind.NOTE:
            parts.append(f"{who} left a closing note:\n\n{plain(opened.text or '')}")
        elif kind is EventKind.NOD and opened.event.nod is not None:
            parts.append(f"{who} nodded: {_NODS[opened.event.nod]}")
        elif kind in _MOVES:
            parts.append(f"{who} {_MOVES[kind]}.")
        return "\n\n".join(parts)


_MOVES = {
    EventKind.HANDOVER: "handed the question over",
    EventKind.DONE: "was done sharing",
    EventKind.DECLINE: "passed on this question",
    EventKind.CONFIRM: "felt heard",
    EventKind.MORE: "had more to say",
    EventKind.AWAY: "stepped away",
    EventKind.BACK: "came back",
    EventKind.LEFT: "left, and the session ended",
    EventKind.MISMATCH: "found the code did not match",
}


def _inline(text: str | None) -> str:
    """Text inside a sentence: escaped, on one line."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join((text or "").split()))


def _bold(name: str) -> str:
    return f"**{_inline(name)}**"


def sessions() -> list["JournalEntry"]:
    """Every journal on this machine, oldest first."""
    directory = journal_dir()
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        started = _STARTED.search(text)
        partner = _PARTNER.search(text)
        found.append(
            JournalEntry(
                path,
                int(started.group(1)) if started else int(path.stat().st_mtime),
                json.loads(partner.group(1)) if partner else None,
            )
        )
    return sorted(found, key=lambda entry: (entry.started, entry.path.name))


def readable(path: Path) -> str:
    """The journal as a person reads it: without the markers the journal keeps for itself."""
    text = path.read_text(encoding="utf-8")
    kept = [line for line in text.split("\n") if not line.startswith("<!-- ")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip() + "\n"
