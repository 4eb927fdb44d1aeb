"""A room's event log kept as the frames that went out: compact, and no work for the collector.

An Event with its RoomState and two dicts costs about 1.3 KiB of objects the
garbage collector walks on every full collection; its frame is one bytes
object of about 200, which the collector never looks at. The server only
ever sends the frames again (`joined`), so it keeps them, and reads an
Event back only when asked (a `join` checking how the room ended, a store
writing a new room, tests). docs/performance.md has the figures.
"""

from collections.abc import Iterator, Sequence
from typing import overload

from shared.codec import decode_reply
from shared.events import Event


class LogRun(Sequence[Event]):
    """Consecutive events of a log, held as their frames and read only when asked."""

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames

    def __len__(self) -> int:
        return len(self.frames)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | Sequence[Event]:
        if isinstance(index, slice):
            return [_read(frame) for frame in self.frames[index]]
        return _read(self.frames[index])

    def __iter__(self) -> Iterator[Event]:
        return (_read(frame) for frame in self.frames)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LogRun):
            return self.frames == other.frames
        if isinstance(other, Sequence):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a log changes: it is no dict key


class EventLog(LogRun):
    """Events numbered 1..n in order, each kept as its frame."""

    def __init__(self) -> None:
        super().__init__([])
        self.size = 0
        """The frames' bytes in all: what a `joined` carrying the whole log weighs."""

    def append(self, event: Event) -> None:
        frame = event.frame
        self.frames.append(frame)
        self.size += len(frame)

    def truncate(self, length: int) -> None:
        """Keep the first `length` events only."""
        for frame in self.frames[length:]:
            self.size -= len(frame)
        del self.frames[length:]

    def since(self, after: int) -> LogRun:
        """Every event with `seq` > `after`, as their frames: a `joined` splices them in as they
        are, so serving a long log to a resumer decodes nothing (it took 0.5 s a resume for
        31,000 events, on the loop every room shares)."""
        return LogRun(self.frames[max(after, 0) :])


def _read(frame: bytes) -> Event:
    event = Event.from_wire(decode_reply(frame))
    event.keep_frame(frame)
    return event
