"""Any input at all: the connection logic answers or closes, and never raises."""

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st

from server.config import Limits
from server.connection import MemberConnection
from server.limits import AttemptLimits, ConnectionLimits
from tests.server.fakes import RecordingSender, new_registry

TYPES = ["create", "join", "resume", "ask", "handover", "say", "done", "decline", "reflect",
         "confirm", "more", "nod", "typing", "leave", "dance"]  # fmt: skip
KEYS = ["t", "id", "name", "code", "token", "after", "text", "card", "kind", "on"]

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.sampled_from(TYPES),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(min_value=-5, max_value=5), max_size=3),
)
messages = st.dictionaries(st.sampled_from(KEYS), values, max_size=5).map(
    lambda m: msgpack.packb(m)
)
frames = st.one_of(st.binary(max_size=200), messages)


def seated() -> tuple[MemberConnection, RecordingSender, MemberConnection, RecordingSender]:
    rooms = new_registry()
    attempts = AttemptLimits(Limits())
    a_out, b_out = RecordingSender(), RecordingSender()
    a = MemberConnection(a_out, "192.0.2.1", rooms, attempts, ConnectionLimits(Limits()))
    b = MemberConnection(b_out, "192.0.2.2", rooms, attempts, ConnectionLimits(Limits()))
    a.receive(msgpack.packb({"t": "create", "name": "Ann"}), 0)
    code = a_out.sent[0]["code"]
    b.receive(msgpack.packb({"t": "join", "code": code, "name": "Bo"}), 0)
    return a, a_out, b, b_out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), frames), max_size=30))
def test_no_frame_makes_the_connection_logic_raise(script: list[tuple[bool, bytes]]) -> None:
    """Every frame from either member gets replies or a close, and seq stays gapless."""
    a, a_out, b, b_out = seated()
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
    """The harness really starts in `asking`, so the fuzz reaches in-room rules."""
    a, _, b, _ = seated()
    assert a.membership is not None
    assert b.membership is not None
    assert str(a.membership.room.session.phase) == "asking"
