"""Seats kept on disk, so a closed terminal or a reboot can come back with `fireside resume`."""

import contextlib
import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import platformdirs

from client.seat.opened import Opened
from shared.codes import normalize_code
from shared.events import Joined
from shared.messages import Resume
from shared.seats import Mode, Phase, Seat

STATE_DIR_ENV = "FIRESIDE_STATE_DIR"
"""Where the seats are kept instead of the platform's state directory (tests use a tmp dir)."""

FORMAT = 3
"""The `format` written in every seat file (3: without a last seq); others are left alone."""

LAST_SEQ_FORMAT = 2
"""A seat with the room key and a `last_seq` that nothing read: read as format 3, without it.

A new window opens the whole log from seq 1 (`SavedSeat.resume_message`), so how far the
old one got was never used; the next write of the seat leaves it out (issue 11).
"""

UNSEALED_FORMAT = 1
"""A fireside.1 seat: read only to be forgotten, since that room cannot be continued."""

UNSEALED = (
    "The saved session in room {code} is from a Fireside without end-to-end encryption, "
    "so it cannot be resumed and is forgotten."
)

FORGOTTEN_AFTER = 7 * 24 * 60 * 60
"""Seconds unwritten after which a seat is dropped: its room is long gone (server default: 24 h)."""

_PRIVATE_DIR = 0o700
_PRIVATE_FILE = 0o600
"""The token and the room key are secrets: whoever reads them can take the seat and read
the conversation, so only their owner may."""


@dataclass(frozen=True)
class SavedSeat:
    """One seat in one room on one server: enough to ask for it back after the window closed."""

    server: str
    code: str
    seat: Seat
    token: str
    name: str
    """Our own name in the room, shown back on the welcome screen."""
    partner: str | None = None
    """The partner's name, or None while they have not joined yet."""
    key: str | None = None
    """`RoomKey.saved()`: K, from which a new window opens the whole log again.

    None only in a fireside.1 file, which is forgotten rather than resumed. The
    invite's words are never kept: K is all a restart needs.
    """
    leaving: bool = False
    """The person left while the server could not hear it: this seat is kept only to finish
    leaving (client/leaving.py), never offered to go back into the room."""
    note: str | None = None
    """The closing note written with that leave, sent first if the room still takes it."""
    mode: Mode = Mode.LIVE
    """The room's kind, from `joined`: `fireside letters` takes back only a letters seat."""

    @property
    def resumable(self) -> bool:
        """Whether this seat can come back: a fireside.1 seat has no key to read the room with."""
        return self.key is not None

    @property
    def offer(self) -> str:
        """The welcome screen's button: whom the session is with and which room."""
        if self.partner is None:
            return f"Resume your room {self.code} (your partner has not joined yet)"
        return f"Resume your session with {self.partner} (room {self.code})"

    def resume_message(self) -> Resume:
        """`resume` with `after=0`: a new window remembers nothing, so the server sends it all."""
        return Resume(code=self.code, token=self.token, after=0)

    def matches(self, typed_code: str) -> bool:
        """Whether `typed_code` names this room, compared the way the server compares codes."""
        return normalize_code(typed_code) == normalize_code(self.code)

    def to_json(self) -> dict[str, Any]:
        fields = asdict(self)
        leaving = {"leaving": fields.pop("leaving"), "note": fields.pop("note")}
        mode = fields.pop("mode")
        # A seat that is staying has no word about leaving, not even `false`; a live seat
        # none about its mode, as before letters.
        return {
            "format": FORMAT,
            **fields,
            "seat": str(self.seat),
            **(leaving if self.leaving else {}),
            **({"mode": str(mode)} if mode is Mode.LETTERS else {}),
        }

    @classmethod
    def from_json(cls, raw: object) -> "SavedSeat":
        """A seat from a file's JSON; ValueError for anything this client did not write.

        A fireside.1 file reads back without a key, so it can be offered and forgotten;
        a format-2 file reads back without its `last_seq`.
        """
        keyed = (FORMAT, LAST_SEQ_FORMAT)
        if not isinstance(raw, dict) or raw.get("format") not in (*keyed, UNSEALED_FORMAT):
            raise ValueError("not a seat file of this format")
        key = raw.get("key") if raw["format"] in keyed else None
        if raw["format"] in keyed and not isinstance(key, str):
            raise ValueError("a seat file without its room key")
        strings = ("server", "code", "seat", "token", "name")
        if not all(isinstance(raw.get(key), str) for key in strings):
            raise ValueError("a seat file without its server, code, seat, token or name")
        partner = raw.get("partner")
        mode = raw.get("mode", Mode.LIVE.value)
        if mode not in {m.value for m in Mode}:
            raise ValueError("mode is neither live nor letters")
        leaving = raw.get("leaving", False)
        note = raw.get("note")
        if partner is not None and not isinstance(partner, str):
            raise ValueError("partner is not a string")
        if not isinstance(leaving, bool) or (note is not None and not isinstance(note, str)):
            raise ValueError("leaving is not true or false, or the note is not a string")
        if key is not None:
            # Read back now, not when resuming: a damaged key is a file we cannot use.
            # Imported here so that an empty shelf never loads the crypto (client/app.py).
            from shared.crypto.pairing import RoomKey

            RoomKey.from_saved(raw["code"], key)
        return cls(
            server=raw["server"],
            code=raw["code"],
            seat=Seat(raw["seat"]),
            token=raw["token"],
            name=raw["name"],
            partner=partner,
            key=key,
            leaving=leaving,
            note=note,
            mode=Mode(mode),
        )


def state_dir() -> Path:
    """`$FIRESIDE_STATE_DIR`, else the platform's per-user state directory for Fireside."""
    override = os.environ.get(STATE_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_state_dir("fireside", appauthor=False))


class SeatShelf:
    """The saved seats: one JSON file per server and room, so two windows never share a file."""

    def __init__(self, directory: Path, *, forgotten_after: float | None = FORGOTTEN_AFTER) -> None:
        self.directory = directory
        self.forgotten_after = forgotten_after
        """Seconds unwritten after which a seat is dropped; None keeps seats until forgotten."""

    @classmethod
    def default(cls) -> "SeatShelf":
        return cls(state_dir() / "seats")

    @classmethod
    def letters(cls) -> "SeatShelf":
        """The letters seat, kept apart from the live seats: a letters room lasts a year
        between visits (docs/protocol.md, Letters), so neither the week after which live seats
        are dropped nor `fireside resume` and its offers ever touch it."""
        return cls(state_dir() / "letters", forgotten_after=None)

    def all(self) -> list[SavedSeat]:
        """Every readable seat, the most recently written first.

        Files this client cannot read are skipped; seats untouched for FORGOTTEN_AFTER
        are removed, so a server that went away for good is not offered forever.
        """
        found: list[tuple[float, SavedSeat]] = []
        try:
            paths = list(self.directory.glob("*.json"))
        except OSError:
            return []
        too_old = None if self.forgotten_after is None else time.time() - self.forgotten_after
        for path in paths:
            try:
                written = path.stat().st_mtime
                if too_old is not None and written < too_old:
                    path.unlink()
                    continue
                with path.open(encoding="utf-8") as file:
                    seat = SavedSeat.from_json(json.load(file))
            except (OSError, ValueError):
                continue
            found.append((written, seat))
        found.sort(key=lambda pair: pair[0], reverse=True)
        return [seat for _, seat in found]

    def offers(self) -> list[SavedSeat]:
        """The seats to offer going back to: a seat being left is never one of them."""
        return [seat for seat in self.all() if not seat.leaving]

    def leaving(self) -> list[SavedSeat]:
        """The seats left while the server could not hear it: to finish leaving."""
        return [seat for seat in self.all() if seat.leaving]

    def matching(self, typed_code: str | None) -> list[SavedSeat]:
        """The seats in the room `typed_code`, or all of them when no code is given."""
        seats = self.all()
        if typed_code is None:
            return seats
        return [seat for seat in seats if seat.matches(typed_code)]

    def save(self, seat: SavedSeat) -> None:
        """Write `seat` whole or not at all: a temporary file, then `os.replace` over the old."""
        self._make_private_dir()
        target = self._path(seat.server, seat.code)
        # mkstemp creates the file 0600, so the token is never readable by others, even briefly.
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".seat-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(seat.to_json(), file)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, _PRIVATE_FILE)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def forget(self, server: str, code: str) -> None:
        """Remove the seat in room `code` on `server`, if it is kept."""
        with contextlib.suppress(FileNotFoundError):
            self._path(server, code).unlink()

    def _path(self, server: str, code: str) -> Path:
        # A hash, not the URL: any server address becomes a safe, fixed-length file name.
        key = f"{server}\n{normalize_code(code)}".encode()
        return self.directory / f"{hashlib.sha256(key).hexdigest()[:24]}.json"

    def _make_private_dir(self) -> None:
        for directory in (self.directory.parent, self.directory):
            directory.mkdir(mode=_PRIVATE_DIR, parents=True, exist_ok=True)
        # mkdir's mode is masked by the umask and ignored for a directory that already exists.
        os.chmod(self.directory, _PRIVATE_DIR)


class SeatKeeper:
    """One window's seat on the shelf: written once paired and at each change, removed at the end.

    The end is the server's: a seat that leaves is marked leaving, and removed only once
    an event shows the room ended (docs/protocol.md, Drops, resume and leave).

    The seat is written when the pairing gives the room key (without it nothing could
    be read after a restart), and again whenever what it holds changes. Other events
    change nothing kept: a new window opens the whole log whatever this one saw.
    """

    def __init__(self, shelf: SeatShelf, server: str, saved: SavedSeat | None = None) -> None:
        self.shelf = shelf
        self.server = server
        self.seat = saved
        """The seat as kept; a seat being resumed from disk is here before the server answers."""
        self._complained = False

    @property
    def kept(self) -> bool:
        """Whether the seat is on the shelf: only a seat with its room key is written."""
        return self.seat is not None and self.seat.key is not None

    def seated(self, joined: Joined, name: str) -> str | None:
        """Keep the seat the server just gave under our `name`; a sentence if the disk refuses.

        A seat without its room key yet is only held here: it is written once paired.
        """
        if joined.state.phase is Phase.ENDED:
            self.forget()
            return None
        # What the seat knew already (partner, key, a leave under way) is kept.
        kept = self.seat or SavedSeat(self.server, joined.code, joined.seat, joined.token, name)
        return self._keep(
            replace(
                kept,
                code=joined.code,
                seat=joined.seat,
                token=joined.token,
                name=name,
                mode=joined.mode,
            )
        )

    def paired(self, key: str) -> str | None:
        """The pairing gave the room key (`RoomKey.saved()`): write the seat with it now."""
        if self.seat is None:
            return None
        return self._keep(replace(self.seat, key=key))

    def leaving(self, note: str | None) -> str | None:
        """The person left: keep the seat marked so until the server has recorded it.

        Written at once, with the `note` to send first: if the window closes before the
        server has heard, the next start finishes leaving (client/leaving.py).
        """
        if self.seat is None:
            return None
        return self._keep(replace(self.seat, leaving=True, note=note))

    def saw(self, opened: "Opened") -> str | None:
        """Note an event: an ended session is forgotten, a new partner's name is written."""
        if self.seat is None:
            return None
        if opened.state.phase is Phase.ENDED:
            self.forget()
            return None
        partner = opened.names.get(self.seat.seat.partner)
        if partner == self.seat.partner:
            return None
        return self._keep(replace(self.seat, partner=partner))

    def forget(self) -> None:
        """The session is over or the seat is gone: nothing is left to resume."""
        if self.seat is not None:
            with contextlib.suppress(OSError):
                self.shelf.forget(self.seat.server, self.seat.code)
        self.seat = None

    def _keep(self, seat: SavedSeat) -> str | None:
        """Hold `seat`, and write it if it has its key; a sentence when the disk first fails."""
        self.seat = seat
        if seat.key is None:
            return None
        try:
            self.shelf.save(seat)
        except OSError as exc:
            if self._complained:
                return None
            self._complained = True
            reason = exc.strerror or exc
            where = self.shelf.directory
            return f"Could not keep this seat in {where} ({reason}); resume will not know it."
        return None
