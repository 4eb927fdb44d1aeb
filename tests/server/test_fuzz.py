"""Any input at all: the connection logic answers or closes, and never raises."""

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st

from server.config import Limits
from server.connection import MemberConnection
from server.limits import AttemptLimits, ConnectionLimits
from tests.server.fakes import RecordingSender, new_registry

TYPES = ["create", "join", "resume", "pake", "verify", "hello", "mismatch", "ask", "handover",
         "say", "done", "decline", "reflect", "confirm", "more", "nod", "typing", "leave",
         "dance"]  # fmt: skip
KEYS = ["t", "id", "name", "code", "token", "after", "msg", "mac", "box", "text", "kind", "on"]

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.binary(min_size=32, max_size=32),
    st.sampled_from(TYPES),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(min_value=-5, max_value=5), max_size=3),
)
messages = st.dictionaries(st.sampled_from(KEYS), values, max_size=5).map(
    lambda m: msgpack.packb(m)
)
frames = st.one_of(st.binary(max_size=200), messages)


def seated(
    paired: bool = True,
) -> tuple[MemberConnection, RecordingSender, MemberConnection, RecordingSender]:
    """Both members in one room: paired and in round 1, or still `waiting` to pair."""
    rooms = new_registry()
    attempts = AttemptLimits(Limits())
    a_out, b_out = RecordingSender(), RecordingSender()
    a = MemberConnection(a_out, "192.0.2.1", rooms, attempts, ConnectionLimits(Limits()))
    b = MemberConnection(b_out, "192.0.2.2", rooms, attempts, ConnectionLimits(Limits()))
    a.receive(msgpack.packb({"t": "create"}), 0)
    code = a_out.sent[0]["code"]
    b.receive(msgpack.packb({"t": "join", "code": code}), 0)
    if paired:
        for step in ({"t": "pake", "msg": b"m"}, {"t": "verify", "mac": bytes(32)}):
            a.receive(msgpack.packb(step), 0)
            b.receive(msgpack.packb(step), 0)
        a.receive(msgpack.packb({"t": "hello", "box": b"a"}), 0)
        b.receive(msgpack.packb({"t": "hello", "box": b"b"}), 0)
    return a, a_out, b, b_out


@settings(max_examples=150, deadline=None)
@given(st.booleans(), st.lists(st.tuples(st.booleans(), frames), max_size=30))
def test_no_frame_makes_the_connection_logic_raise(
    paired: bool, script: list[tuple[bool, bytes]]
) -> None:
    """Every frame from either member, pairing or paired, gets replies or a close, and seq
    stays gapless."""
    a, a_out, b, b_out = seated(paired)
    for now, (from_a, frame) in enumerate(script, start=1):
        (a if from_a else b).receive(frame, now * 100)
    for out in (a_out, b_out):
        seqs = [m["seq"] for m in out.sent if m["t"] == "event"]
        seqs += [e["seq"] for m in out.sent if m["t"] == "joined" for e in m["events"][-1:]]
        assert sorted(seqs) == sorted(set(seqs))
        assert all(m["t"] in {"joined", "event", "typing", "error"} for m in out.sent)
    log = a.membership.room.log if a.membership else []
    assert [event.seq for event in log] == list(range(1, len(log) + 1))


def test_the_fuzz_harness_seats_both_members() -> None:
    """The harness really starts in `asking`, or `waiting` with both seated, so the fuzz
    reaches the in-room rules and the pairing rules."""
    for paired, phase in ((True, "asking"), (False, "waiting")):
        a, _, b, _ = seated(paired)
        assert a.membership is not None
        assert b.membership is not None
        assert str(a.membership.room.session.phase) == phase
