"""The token buckets and verdicts, with time passed in: no sleeping."""

from server.config import Limits
from server.connection import MemberConnection
from server.limits import AttemptLimits, ConnectionLimits, TokenBucket, Verdict
from shared.codec import encode
from shared.wire import CloseCode
from tests.server.fakes import RecordingSender, new_registry


def test_a_bucket_gives_its_capacity_then_refills_with_time() -> None:
    """Capacity tokens at once, none more, then `per_second` tokens for each second waited."""
    bucket = TokenBucket(capacity=3, per_second=2)
    assert [bucket.take(0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(499) is False
    assert bucket.take(500) is True
    assert bucket.take(500) is False
    assert bucket.full(10_000) is True
    assert [bucket.take(10_000) for _ in range(4)] == [True, True, True, False]


def test_a_clock_going_back_neither_adds_nor_breaks() -> None:
    """An earlier `now` than the last one refills nothing."""
    bucket = TokenBucket(capacity=1, per_second=1)
    assert bucket.take(5_000) is True
    assert bucket.take(1_000) is False
    assert bucket.take(5_999) is False
    assert bucket.take(6_000) is True


def test_the_default_limits_keep_the_contract_minimums() -> None:
    """docs/protocol.md: bursts of at least 30 and at least 20 rejections answered."""
    limits = Limits()
    assert limits.message_burst >= 30
    assert limits.rejection_burst >= 20


def test_a_connection_is_limited_then_closed_when_it_keeps_flooding() -> None:
    """The burst is answered, then `strikes` messages are limited, then the verdict is close."""
    limits = Limits(message_burst=30, strikes=3)
    connection = ConnectionLimits(limits)
    verdicts = [connection.on_message(0) for _ in range(34)]
    assert verdicts == [Verdict.ANSWER] * 30 + [Verdict.LIMITED] * 3 + [Verdict.CLOSE]


def test_rejections_have_their_own_allowance() -> None:
    """20 rejections are answered as such before `rate_limited`, and then a close."""
    connection = ConnectionLimits(Limits(rejection_burst=20, strikes=2))
    verdicts = [connection.on_rejected(0) for _ in range(23)]
    assert verdicts == [Verdict.ANSWER] * 20 + [Verdict.LIMITED] * 2 + [Verdict.CLOSE]


HOUR = 60 * 60 * 1000
DAY = 24 * HOUR


def test_failed_attempts_block_an_address_and_not_another() -> None:
    """After `failed_attempts` failures an address is blocked until its allowance refills."""
    attempts = AttemptLimits(Limits(failed_attempts=3, failed_attempts_per_second=0.1))
    for _ in range(3):
        assert attempts.blocked("192.0.2.1", 0) is False
        attempts.failed("192.0.2.1", 0)
    assert attempts.blocked("192.0.2.1", 0) is True
    assert attempts.blocked("192.0.2.2", 0) is False
    assert attempts.blocked("192.0.2.1", 10_000) is False
    attempts.prune(10_000)
    assert len(attempts) == 1
    attempts.prune(30_000)
    assert len(attempts) == 0


def test_rooms_created_per_address_are_limited_and_refill() -> None:
    """After `rooms_per_address` rooms an address may create none until its allowance refills."""
    attempts = AttemptLimits(Limits(rooms_per_address=2, rooms_per_address_per_second=0.5))
    for _ in range(2):
        assert attempts.may_create("192.0.2.1", 0) is True
        attempts.created("192.0.2.1", 0)
    assert attempts.may_create("192.0.2.1", 0) is False
    assert attempts.may_create("192.0.2.2", 0) is True
    assert attempts.may_create("192.0.2.1", 2_000) is True
    attempts.prune(4_000)
    assert len(attempts) == 1, "the rooms it made are counted for a TTL"
    attempts.prune(DAY)
    assert len(attempts) == 0


def test_rooms_per_address_are_counted_over_the_ttl() -> None:
    """However slowly it goes, an address makes at most `rooms_per_address_per_ttl` rooms within
    one room TTL; the oldest leaves the count once a TTL has passed since it was made."""
    attempts = AttemptLimits(Limits(rooms_per_address_per_ttl=3), room_ttl_ms=DAY)
    for hour in range(3):
        assert attempts.may_create("192.0.2.1", hour * HOUR)
        attempts.created("192.0.2.1", hour * HOUR)
    assert not attempts.may_create("192.0.2.1", 23 * HOUR)
    assert attempts.may_create("192.0.2.2", 23 * HOUR)
    assert attempts.may_create("192.0.2.1", DAY)


def test_resumes_are_limited_per_address_and_per_seat() -> None:
    """A seat may be resumed `resumes_per_seat` times at once from any address, and one address
    may resume `resumes_per_address` times at once whatever the seat; both refill."""
    attempts = AttemptLimits(Limits(resumes_per_seat=3, resumes_per_address=5))
    seat = ("ABCDEFGHJK", b"token hash")
    assert [attempts.may_resume(f"192.0.2.{n}", seat, 0) for n in range(4)] == [True] * 3 + [False]
    others = [("ABCDEFGHJK", bytes([n])) for n in range(6)]
    assert [attempts.may_resume("198.51.100.1", s, 0) for s in others] == [True] * 5 + [False]
    assert attempts.may_resume("192.0.2.9", seat, 10_000)
    attempts.prune(DAY)
    assert len(attempts) == 0


def test_a_seats_message_allowance_outlives_its_connection() -> None:
    """A new connection to the same seat does not start its message allowance afresh."""
    limits = Limits(message_burst=30, strikes=3)
    attempts = AttemptLimits(limits)
    first = ConnectionLimits(limits)
    first.seated(attempts.seat_messages(("ABCDEFGHJK", "a")))
    assert [first.on_message(0) for _ in range(30)] == [Verdict.ANSWER] * 30
    second = ConnectionLimits(limits)
    second.seated(attempts.seat_messages(("ABCDEFGHJK", "a")))
    assert second.on_message(0) is Verdict.LIMITED
    other_seat = ConnectionLimits(limits)
    other_seat.seated(attempts.seat_messages(("ABCDEFGHJK", "b")))
    assert other_seat.on_message(0) is Verdict.ANSWER


def test_the_bytes_one_address_sends_are_limited_over_all_its_connections() -> None:
    """An address sends `bytes_per_address` at once, in frames on any connection, then only as
    fast as the allowance refills; another address has its own."""
    attempts = AttemptLimits(Limits(bytes_per_address=64_000, bytes_per_address_per_second=16_000))
    assert [attempts.may_send("192.0.2.1", 16_000, 0) for _ in range(5)] == [True] * 4 + [False]
    assert attempts.may_send("192.0.2.2", 16_000, 0)
    assert attempts.may_send("192.0.2.1", 16_000, 1_000)
    assert not attempts.may_send("192.0.2.1", 16_000, 1_000)


def lobby_connection(limits: Limits) -> tuple[MemberConnection, RecordingSender]:
    sender = RecordingSender()
    connection = MemberConnection(
        sender, "192.0.2.1", new_registry(), AttemptLimits(limits), ConnectionLimits(limits)
    )
    return connection, sender


def test_a_burst_of_bad_frames_is_closed_at_the_frame_the_protocol_states() -> None:
    """docs/protocol.md, Rate limits: at once, `rejection_burst` bad frames get `bad_frame`, the
    next `strikes` get `rate_limited`, and the one after closes the connection with 1008."""
    limits = Limits()
    connection, sender = lobby_connection(limits)
    frames = 0
    while sender.closed is None:
        connection.receive(b"\xc1", 0)
        frames += 1
    answers = [reply["code"] for reply in sender.take()]
    assert answers == ["bad_frame"] * limits.rejection_burst + ["rate_limited"] * limits.strikes
    assert frames == limits.rejection_burst + limits.strikes + 1
    assert sender.closed[0] == CloseCode.ABUSE


def test_create_join_and_resume_count_toward_the_connections_burst() -> None:
    """Before a seat is taken every frame comes out of the connection's own allowance, `join`,
    `resume` and `create` included; the seat's allowance starts after the frame that took it."""
    limits = Limits(message_burst=3)
    lobby, lobby_out = lobby_connection(limits)
    lobby.receive(encode({"t": "join", "code": "ABCDE-FGHJK"}), 0)
    lobby.receive(encode({"t": "resume", "code": "ABCDE-FGHJK", "token": "t", "after": 0}), 0)
    lobby.receive(encode({"t": "join", "code": "ABCDE-FGHJK"}), 0)
    lobby.receive(encode({"t": "create"}), 0)
    assert [reply["code"] for reply in lobby_out.take()] == ["no_room"] * 3 + ["rate_limited"]

    seated, seated_out = lobby_connection(limits)
    seated.receive(encode({"t": "create"}), 0)
    assert seated_out.take()[0]["t"] == "joined"
    for _ in range(4):
        seated.receive(encode({"t": "typing", "on": True}), 0)
    assert [reply["code"] for reply in seated_out.take()] == ["wrong_phase"] * 3 + ["rate_limited"]
