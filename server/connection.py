"""One connection's frames, start to finish: limits, the shared check order, then the registry."""

import functools

from server.commits import Lost, not_kept
from server.limits import AttemptLimits, ConnectionLimits, Verdict
from server.metrics import NO_METRICS, Limited, Metrics
from server.room import Membership, Sender, token_hash
from server.rooms import RoomRegistry
from server.store import Moved, StoreError
from shared.codes import normalize_code
from shared.errors import ErrorCode, Rejected
from shared.events import ErrorReply
from shared.intake import admit
from shared.messages import ClientMessage, Create, Join, Peek, Resume
from shared.seats import Mode, Seat
from shared.session import Session
from shared.wire import CloseCode

_TRIES = 8
"""How often a move lost to another server's is judged again before `rate_limited`: each try
follows a commit of theirs in that room, so the room moves on every time; on a loaded machine
both partners sending at once can lose three or four in a row, and the sender should not hear
of it."""


class MemberConnection:
    """Takes one connection's binary frames in order and answers through its `Sender`.

    No sockets and no clock: the websocket layer feeds it frames with `now`
    (Unix ms) and tells it when the connection closed.
    """

    def __init__(
        self,
        sender: Sender,
        address: str,
        registry: RoomRegistry,
        attempts: AttemptLimits,
        limits: ConnectionLimits,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._sender = sender
        self._address = address
        self._registry = registry
        self._attempts = attempts
        self._limits = limits
        self._metrics = metrics
        self._closing = False
        self.membership: Membership | None = None

    def receive(self, frame: bytes, now: int) -> None:
        """One binary frame: an accepted change, a reply, or an error to this sender alone."""
        if self._closing:
            return
        verdict = self._limits.on_message(now)
        if verdict is Verdict.ANSWER and not self._attempts.may_send(
            self._address, len(frame), now
        ):
            verdict = self._limits.strike(now)
        if verdict is Verdict.CLOSE:
            self._close_for_abuse("too many messages")
            return
        try:
            message = admit(frame, self._seat())
            if verdict is Verdict.LIMITED:
                raise Rejected(ErrorCode.RATE_LIMITED, "too many messages; slow down", message.id)
            self._dispatch(message, now)
        except Rejected as rejection:
            self._answer(rejection, now)

    def closed(self, now: int) -> None:
        """The connection is gone, however it went."""
        self._closing = True
        if self.membership is not None:
            self._registry.drop(self.membership, now)

    def close(self, code: CloseCode, reason: str) -> None:
        """Close from outside the rules (a text frame, an internal error, abuse); ignore later
        frames. The close waits behind the replies held for this connection, so none is lost."""
        self._closing = True
        self._registry.hang_up(self._sender, code, reason)

    def _seat(self) -> tuple[Session, Seat] | None:
        member = self.membership
        return None if member is None else (member.room.session, member.seat)

    def _dispatch(self, message: ClientMessage, now: int, tries: int = 0) -> None:
        """`message` to the registry; `tries` counts how often it was judged again after
        another server moved its room on first."""
        try:
            if isinstance(message, Create):
                # docs/protocol.md, Rate limits: rooms per address, before the server is full.
                if not self._attempts.may_create(self._address, now):
                    raise Rejected(ErrorCode.RATE_LIMITED, "too many new rooms from here; wait")
                self._seated(
                    self._registry.create(
                        self._sender,
                        now,
                        mode=message.mode or Mode.LIVE,
                        on_lost=self._unsaved(message, now, tries, entering=True),
                    )
                )
                self._attempts.created(self._address, now)
            elif isinstance(message, Join | Resume | Peek):
                membership = self._enter(message, now, tries)
                if membership is not None:
                    self._seated(membership)
            elif self.membership is not None:
                self._registry.act(
                    self.membership,
                    message,
                    now,
                    on_lost=self._unsaved(message, now, tries, entering=False),
                )
        except Rejected as rejection:
            raise rejection.with_re(message.id) from None

    def _enter(self, message: Join | Resume | Peek, now: int, tries: int) -> Membership | None:
        """`join`, `resume` or `peek`, counting failures per address: docs/protocol.md, Error
        codes. None for a `peek`, which takes no seat, and while a shared store is asked for
        a room no server here holds yet."""
        if self._attempts.blocked(self._address, now):
            raise Rejected(ErrorCode.RATE_LIMITED, "too many failed attempts; wait a while")
        if isinstance(message, Resume | Peek) and tries == 0:
            # docs/protocol.md, Letters, Peeking: a `peek` counts as a `resume`.
            # Each resume sends the whole log again: limited per address and per seat, so that
            # neither new connections nor new addresses make it free.
            seat = (normalize_code(message.code), token_hash(message.token))
            if not self._attempts.may_resume(self._address, seat, now):
                raise Rejected(ErrorCode.RATE_LIMITED, "too many resumes; wait a little")
        # A `peek` seats no one, so losing it must not unseat what the connection did next.
        on_lost = self._unsaved(message, now, tries, entering=not isinstance(message, Peek))
        if (
            isinstance(message, Resume | Peek)
            and tries < _TRIES
            and self._registry.behind(message.code, message.after)
        ):
            # Its place past this server's log: read what another server recorded first, so
            # that a resume resyncs only when the log really lost something.
            again = functools.partial(self._again, message, now, _TRIES)
            if self._registry.look_elsewhere(message.code, now, again):
                return None
        try:
            if isinstance(message, Join):
                return self._registry.join(self._sender, message.code, now, on_lost=on_lost)
            # `peek` is answered as `resume` would be, and seats no one.
            enter = self._registry.peek if isinstance(message, Peek) else self._registry.resume
            return enter(
                self._sender,
                message.code,
                message.token,
                message.after,
                now,
                epoch=message.epoch,
                on_lost=on_lost,
            )
        except Rejected as rejection:
            if rejection.code is ErrorCode.NO_ROOM and tries < _TRIES:
                # Made a moment ago on another server, perhaps: docs/deploy.md, Several servers.
                again = functools.partial(self._again, message, now, _TRIES)
                if self._registry.look_elsewhere(message.code, now, again):
                    return None
            if rejection.code in (ErrorCode.NO_ROOM, ErrorCode.BAD_TOKEN):
                self._attempts.failed(self._address, now)
            raise

    def _again(self, message: ClientMessage, now: int, tries: int) -> None:
        """Judge `message` again, as `receive` would have: the connection may have closed."""
        if self._closing:
            return
        try:
            self._dispatch(message, now, tries)
        except Rejected as rejection:
            self._answer(rejection, now)

    def _seated(self, membership: Membership) -> None:
        self.membership = membership
        self._limits.seated(self._attempts.seat_messages((membership.room.key, membership.seat)))

    def _answer(self, rejection: Rejected, now: int) -> None:
        """docs/protocol.md, Error codes: ≥ 20 rejections answered before anything harsher."""
        if rejection.code is not ErrorCode.RATE_LIMITED:
            verdict = self._limits.on_rejected(now)
            if verdict is Verdict.CLOSE:
                self._close_for_abuse("too many rejected messages")
                return
            if verdict is Verdict.LIMITED:
                rejection = Rejected(
                    ErrorCode.RATE_LIMITED, "too many rejected messages; slow down", rejection.re
                )
        self._metrics.refused(rejection.code)
        if rejection.code is ErrorCode.RATE_LIMITED:
            self._metrics.limited(Limited.ANSWER)
        self._registry.send(
            self._sender, ErrorReply(rejection.code, rejection.message, rejection.re)
        )

    def _unsaved(self, message: ClientMessage, now: int, tries: int, *, entering: bool) -> Lost:
        """How to answer `message` if its change is lost with its batch: docs/protocol.md, Rate
        limits, `rate_limited` for "any message whose change the server could not save". A
        `create`, `join` or `resume` that is lost leaves this connection in no room. Lost to
        another server's move, it is judged again on the room caught up, a few times, so that
        its sender hears what one server would have said."""

        def answer(lost: StoreError) -> None:
            if entering:
                self.membership = None
            if isinstance(lost, Moved) and tries < _TRIES:
                self._again(message, now, tries + 1)
                return
            rejection = not_kept()
            self._metrics.refused(rejection.code)
            self._registry.send(
                self._sender, ErrorReply(rejection.code, rejection.message, message.id)
            )

        return answer

    def _close_for_abuse(self, reason: str) -> None:
        self._metrics.limited(Limited.CLOSE)
        self.close(CloseCode.ABUSE, reason)
