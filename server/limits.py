"""Rate limits as pure token buckets: time is passed in (Unix ms), nothing sleeps."""

from dataclasses import dataclass, field
from enum import Enum

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

    def take(self, now: int) -> bool:
        """Take one token if there is one."""
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
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
        return self._strike(now)

    def on_rejected(self, now: int) -> Verdict:
        """A frame was rejected with an error other than `rate_limited`."""
        if self._rejections.take(now):
            return Verdict.ANSWER
        return self._strike(now)

    def _strike(self, now: int) -> Verdict:
        return Verdict.LIMITED if self._strikes.take(now) else Verdict.CLOSE


class AttemptLimits:
    """Failed `join` and `resume` attempts per address, so codes and tokens cannot be guessed,
    and rooms created per address, so one address cannot use up `max_rooms`.

    docs/protocol.md, Rate limits: a `join` to an unknown code or a `resume`
    with a wrong token counts toward a per-address limit, and so does `create`.
    """

    def __init__(self, limits: Limits) -> None:
        self._burst = limits.failed_attempts
        self._per_second = limits.failed_attempts_per_second
        self._buckets: dict[str, TokenBucket] = {}
        self._rooms_burst = limits.rooms_per_address
        self._rooms_per_second = limits.rooms_per_address_per_second
        self._rooms: dict[str, TokenBucket] = {}

    def may_create(self, address: str, now: int) -> bool:
        """Whether `address` may create one more room now."""
        bucket = self._rooms.get(address)
        return bucket is None or not bucket.empty(now)

    def created(self, address: str, now: int) -> None:
        """Count one room created from `address`."""
        bucket = self._rooms.setdefault(
            address, TokenBucket(self._rooms_burst, self._rooms_per_second)
        )
        bucket.take(now)

    def blocked(self, address: str, now: int) -> bool:
        """Whether `address` has used up its failed attempts for now."""
        bucket = self._buckets.get(address)
        return bucket is not None and bucket.empty(now)

    def failed(self, address: str, now: int) -> None:
        """Count one failed attempt from `address`."""
        bucket = self._buckets.setdefault(address, TokenBucket(self._burst, self._per_second))
        bucket.take(now)

    def prune(self, now: int) -> None:
        """Forget addresses whose allowance has refilled, so the table does not grow forever."""
        for table in (self._buckets, self._rooms):
            for address in [a for a, bucket in table.items() if bucket.full(now)]:
                del table[address]

    def __len__(self) -> int:
        return len(self._buckets.keys() | self._rooms.keys())
