"""The rules of one letter in a letters room, pure like the live turns: docs/protocol.md, Letters.

A letter is one question both seats answer in their own time. The server
keeps each sealed answer and sends it to no one until both are in, then
releases them together; each seat then reflects back the other's answer,
and each writer says whether they felt heard or has more to add. The next
question opens only when both writers felt heard.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from shared.events import EventKind
from shared.messages import MessageType
from shared.seats import Phase, Seat


class Thread(StrEnum):
    """Where one writer's answer stands once the answers are out, named for the move awaited."""

    REFLECT = "reflect"
    """The partner is to reflect back what they heard."""
    CONFIRM = "confirm"
    """The writer is to say `confirm` (they felt heard) or `more`."""
    ADD = "add"
    """The writer said `more` and is to add to their answer with `say`."""
    HEARD = "heard"
    """The writer felt heard."""


_MOVES_BY_THREAD: dict[Thread, frozenset[MessageType]] = {
    Thread.CONFIRM: frozenset({MessageType.CONFIRM, MessageType.MORE}),
    Thread.ADD: frozenset({MessageType.SAY}),
}


@dataclass
class Letter:
    """The open letter: who answered, the answers withheld, and each writer's thread."""

    answered: tuple[Seat, ...] = ()
    """The seats that answered the open question, in the order they did."""
    withheld: dict[Seat, bytes] = field(default_factory=dict)
    """The answer boxes not yet released: only the server ever has them."""
    threads: dict[Seat, Thread] = field(default_factory=dict)
    """Each writer's answer once released, keyed by the writer."""

    def copy(self) -> "Letter":
        return Letter(self.answered, dict(self.withheld), dict(self.threads))

    def moves(self, phase: Phase, seat: Seat) -> frozenset[MessageType]:
        """What `seat` may send in `phase` besides `leave`."""
        if phase is Phase.PROPOSING:
            return frozenset({MessageType.PROPOSE})
        if phase is Phase.ANSWERING:
            return frozenset() if seat in self.answered else frozenset({MessageType.ANSWER})
        if phase is not Phase.REVEALED:
            return frozenset()
        moves = set(_MOVES_BY_THREAD.get(self.threads.get(seat, Thread.HEARD), frozenset()))
        if self.threads.get(seat.partner) is Thread.REFLECT:
            moves.add(MessageType.REFLECT)
        return frozenset(moves)

    def why_not(self, phase: Phase, seat: Seat, kind: MessageType) -> str:
        """Why `kind` does not fit the letter now: the words a client may show its person."""
        if kind not in _LETTER_MOVES:
            return f"{kind} is not part of letters: there is no floor to take or listen from"
        if kind is MessageType.PROPOSE:
            if phase is Phase.ANSWERING:
                return "a question is already open: answer it first"
            return "this letter is still being heard: the next question opens once both felt heard"
        if kind is MessageType.ANSWER:
            if phase is Phase.PROPOSING:
                return "no question is open yet: propose one first"
            if phase is Phase.REVEALED:
                return "both answers are out already"
            return "you have already answered; it stays sealed until your partner answers"
        if phase is not Phase.REVEALED:
            return "the answers are not out yet: both must answer first"
        if kind is MessageType.REFLECT:
            return "your partner's answer is not waiting for a reflection"
        if kind is MessageType.SAY:
            return "say there's more before you add to your answer"
        return "your answer has no reflection waiting for your word"

    def release(self) -> tuple[Seat, bytes] | None:
        """The next withheld answer due out, once both are in: first answered, first out."""
        if len(self.answered) < 2:
            return None
        for seat in self.answered:
            box = self.withheld.get(seat)
            if box is not None:
                return seat, box
        return None

    def follow(self, kind: EventKind, by: Seat, box: bytes | None) -> None:
        """Track one event of the letter: on the server from the change it takes, on a client
        and when a store reads a room back from the event itself (an `answer` there has no box)."""
        if kind is EventKind.PROPOSE:
            self.answered, self.withheld, self.threads = (), {}, {}
        elif kind is EventKind.ANSWER:
            self.answered += (by,)
            if box is not None:
                self.withheld[by] = box
            if len(self.answered) == 2:
                self.threads = dict.fromkeys(self.answered, Thread.REFLECT)
        elif kind is EventKind.REVEAL:
            self.withheld.pop(by, None)
        elif kind is EventKind.REFLECT:
            self.threads[by.partner] = Thread.CONFIRM
        elif kind is EventKind.CONFIRM:
            self.threads[by] = Thread.HEARD
        elif kind is EventKind.MORE:
            self.threads[by] = Thread.ADD
        elif kind is EventKind.SAY:
            self.threads[by] = Thread.REFLECT

    @property
    def heard(self) -> bool:
        """Both writers felt heard: the letter is finished."""
        return len(self.threads) == 2 and all(t is Thread.HEARD for t in self.threads.values())

    def phase_after(self, kind: EventKind) -> Phase | None:
        """The phase a letter event leads to, or None when it stays."""
        if kind is EventKind.PROPOSE:
            return Phase.ANSWERING
        if kind is EventKind.ANSWER and len(self.answered) == 2:
            return Phase.REVEALED
        if kind is EventKind.CONFIRM and self.heard:
            return Phase.PROPOSING
        return None

    def waiting_on(self, phase: Phase) -> frozenset[Seat]:
        """Whose move the letter waits for: both to propose or answer, or the reflections and
        words owed. What a client shows as "your move", and `--status` prints."""
        if phase is Phase.PROPOSING:
            return frozenset(Seat)
        if phase is Phase.ANSWERING:
            return frozenset(seat for seat in Seat if seat not in self.answered)
        if phase is not Phase.REVEALED:
            return frozenset()
        owed = {
            writer.partner if thread is Thread.REFLECT else writer
            for writer, thread in self.threads.items()
            if thread is not Thread.HEARD
        }
        return frozenset(owed)


_LETTER_MOVES = frozenset(
    {
        MessageType.PROPOSE,
        MessageType.ANSWER,
        MessageType.REFLECT,
        MessageType.CONFIRM,
        MessageType.MORE,
        MessageType.SAY,
    }
)
"""Every move of letters besides `leave`: the live moves among them keep their meaning."""
