"""Rate limits as pure token buckets: time is passed in (Unix ms), nothing sleeps."""

from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from server.config import Limits


@dataclass
class TokenBucket:
    """Up to `capacity` tokens, refilled at `per_second`; each message takes one."""

    capacity: float
    per_second: float
    tokens: float = field(init=False)
    updated: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def _refill(self, now: int) -> None:
        if self.updated is not None and now > self.updated:
            gained = (now - self.updated) / 1000 * self.per_second
            self.tokens = min(self.capacity, self.tokens + gained)
        if self.updated is None or now > self.updated:
            self.updated = now

    def take(self, now: int, amount: float = 1) -> bool:
        """Take `amount` tokens (one message, or a frame's bytes) if there are that many."""
        self._refill(now)
        if self.tokens >= amount:
            self.tokens -= amount
            return True
        return False

    def empty(self, now: int) -> bool:
        """Whether a `take` now would fail, without taking."""
        self._refill(now)
        return self.tokens < 1

    def full(self, now: int) -> bool:
        """Whether the bucket has refilled completely, so forgetting it loses nothing."""
        self._refill(now)
        return self.tokens >= self.capacity


class Verdict(Enum):
    """What to do with one message or one rejection."""

    ANSWER = "answer"
    """Go on as usual."""
    LIMITED = "limited"
    """Answer `rate_limited` instead."""
    CLOSE = "close"
    """Close the connection with 1008."""


class ConnectionLimits:
    """One connection's allowance: messages, rejected messages, and strikes before a close.

    docs/protocol.md, Error codes: bursts of `message_burst` (≥ 30) and
    `rejection_burst` (≥ 20) rejected messages are answered normally; past
    them the answer is `rate_limited`, and after `strikes` such answers
    without a pause the connection is closed with 1008.
    """

    def __init__(self, limits: Limits) -> None:
        self._messages = TokenBucket(limits.message_burst, limits.messages_per_second)
        self._rejections = TokenBucket(limits.rejection_burst, limits.rejections_per_second)
        self._strikes = TokenBucket(limits.strikes, limits.strikes_per_second)

    def on_message(self, now: int) -> Verdict:
        """A frame arrived."""
        if self._messages.take(now):
            return Verdict.ANSWER
        return self.strike(now)

    def on_rejected(self, now: int) -> Verdict:
        """A frame was rejected with an error other than `rate_limited`."""
        if self._rejections.take(now):
            return Verdict.ANSWER
        return self.strike(now)

    def seated(self, messages: TokenBucket) -> None:
        """The connection took a seat: from now on its messages come out of the seat's allowance,
        which a new connection to the same seat does not refill."""
        self._messages = messages

    def strike(self, now: int) -> Verdict:
        """A message over some allowance: `rate_limited`, or a close once the strikes are up."""
        return Verdict.LIMITED if self._strikes.take(now) else Verdict.CLOSE


SeatKey = tuple[str, bytes | str]
"""A seat, as the limits know it: its room's normalised code and its token's hash (for
`resume`), or the seat's name (once seated)."""


class AttemptLimits:
    """What one address, and one seat, may do however many connections they open.

    docs/protocol.md, Rate limits: failed `join` and `resume` attempts, so codes
    and tokens cannot be guessed; rooms created, so one address cannot use up
    `max_rooms`, in a burst or over a room's lifetime; `resume`s, each of which
    sends a whole log again; and a seat's messages, whose allowance does not
    start afresh with each new connection; and the bytes of every frame, so that a
    few addresses cannot make the server write its disk as fast as they can send.
    """

    def __init__(self, limits: Limits, *, room_ttl_ms: int = 24 * 60 * 60 * 1000) -> None:
        self._limits = limits
        self._room_ttl_ms = room_ttl_ms
        self._failures: dict[str, TokenBucket] = {}
        self._rooms: dict[str, TokenBucket] = {}
        self._made: dict[str, deque[int]] = {}
        """When each address created the rooms it made within the last TTL, oldest first."""
        self._resumes: dict[str, TokenBucket] = {}
        self._seat_resumes: dict[SeatKey, TokenBucket] = {}
        self._seat_messages: dict[SeatKey, TokenBucket] = {}
        self._bytes: dict[str, TokenBucket] = {}

    def may_create(self, address: str, now: int) -> bool:
        """Whether `address` may create one more room now."""
        bucket = self._rooms.get(address)
        if bucket is not None and bucket.empty(now):
            return False
        made = self._made.get(address)
        return made is None or len(self._recent(made, now)) < self._limits.rooms_per_address_per_ttl

    def created(self, address: str, now: int) -> None:
        """Count one room created from `address`."""
        limits = self._limits
        bucket = self._rooms.setdefault(
            address, TokenBucket(limits.rooms_per_address, limits.rooms_per_address_per_second)
        )
        bucket.take(now)
        self._made.setdefault(address, deque()).append(now)

    def blocked(self, address: str, now: int) -> bool:
        """Whether `address` has used up its failed attempts for now."""
        bucket = self._failures.get(address)
        return bucket is not None and bucket.empty(now)

    def failed(self, address: str, now: int) -> None:
        """Count one failed attempt from `address`."""
        limits = self._limits
        bucket = self._failures.setdefault(
            address, TokenBucket(limits.failed_attempts, limits.failed_attempts_per_second)
        )
        bucket.take(now)

    def may_resume(self, address: str, seat: SeatKey, now: int) -> bool:
        """Take one `resume` from `address`'s allowance and `seat`'s, if both have one left."""
        limits = self._limits
        from_here = self._resumes.setdefault(
            address, TokenBucket(limits.resumes_per_address, limits.resumes_per_address_per_second)
        )
        of_seat = self._seat_resumes.setdefault(
            seat, TokenBucket(limits.resumes_per_seat, limits.resumes_per_seat_per_second)
        )
        if from_here.empty(now) or of_seat.empty(now):
            return False
        from_here.take(now)
        of_seat.take(now)
        return True

    def may_send(self, address: str, size: int, now: int) -> bool:
        """Take a frame of `size` bytes from `address`'s allowance, if it has that many left:
        what every connection from one address may make the server read, check and keep."""
        limits = self._limits
        bucket = self._bytes.setdefault(
            address, TokenBucket(limits.bytes_per_address, limits.bytes_per_address_per_second)
        )
        return bucket.take(now, size)

    def seat_messages(self, seat: SeatKey) -> TokenBucket:
        """The message allowance of `seat`, shared by every connection that sits in it."""
        limits = self._limits
        return self._seat_messages.setdefault(
            seat, TokenBucket(limits.message_burst, limits.messages_per_second)
        )

    def prune(self, now: int) -> None:
        """Forget allowances that have refilled, so the tables do not grow forever."""
        tables: tuple[dict[Any, TokenBucket], ...] = (
            self._failures,
            self._rooms,
            self._resumes,
            self._seat_resumes,
            self._seat_messages,
            self._bytes,
        )
        for table in tables:
            for key in [key for key, bucket in table.items() if bucket.full(now)]:
                del table[key]
        for address in [a for a, made in self._made.items() if not self._recent(made, now)]:
            del self._made[address]

    def _recent(self, made: deque[int], now: int) -> deque[int]:
        """`made` without the rooms created longer than a TTL ago."""
        while made and now - made[0] >= self._room_ttl_ms:
            made.popleft()
        return made

    def __len__(self) -> int:
        return len(self._failures.keys() | self._rooms.keys() | self._made.keys())
