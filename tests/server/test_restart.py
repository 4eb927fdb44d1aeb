"""A server with `--data` survives `kill -9`: wire clients resume, nothing lost or doubled."""

import asyncio
import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from server.app import start_server
from server.config import ServerConfig
from server.rooms import RoomRegistry
from server.storage import DB_FILE, RESTORE, SqliteRoomStore
from tests.server.fakes import Pair, seat_pair
from tests.server.holder import DONE_BOX, NOD_BOX, Holder, move, seqs_of
from tests.server.http import http_get
from tests.server.wire import hello_box, member, pair_up, pairing
from tests.server_process import server_process
from tests.timing import seconds


@pytest.mark.parametrize("kept_in", ["sqlite", "postgresql"])
async def test_after_kill_9_both_resume_with_the_whole_log_and_seq_goes_on(
    tmp_path: Path, request: pytest.FixtureRequest, kept_in: str
) -> None:
    """SIGKILL mid-round, restart on the same data and port: logs match, complete; seq goes on.
    The same for a database in PostgreSQL as for the SQLite file."""
    data = tmp_path / "data" if kept_in == "sqlite" else request.getfixturevalue("postgres_url")
    async with (
        server_process("--data", str(data)) as first,
        member(first.port) as a_wire,
        member(first.port) as b_wire,
    ):
        port = first.port
        a, b = Holder(a_wire), Holder(b_wire)
        created = await a.request({"t": "create"})
        joined = await b.request({"t": "join", "code": created["code"]})
        await a.next()
        for step_a, step_b in zip(pairing("a"), pairing("b"), strict=True):
            await move(a, b, step_a)
            await move(b, a, step_b)
        await move(a, b, {"t": "ask", "box": b"\x00sealed: what made you smile today?"})
        await move(b, a, {"t": "say", "box": b"\x01sealed: the tram driver waved."})
        await move(a, b, {"t": "nod", "kind": "heart", "box": NOD_BOX})
        await move(b, a, {"t": "say", "box": b"\x02" * 16_400})
        await move(b, a, {"t": "done", "box": DONE_BOX})
        assert (a.events[11]["box"], a.events[11]["nod"]) == (NOD_BOX, "heart")
        assert a.events[13]["kind"] == "done"
        assert a.events[13]["box"] == DONE_BOX
        before = dict(a.events)
        assert before == b.events
        assert seqs_of(a) == list(range(1, 14))
        first.process.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(first.process.wait(), seconds(5)) == -signal.SIGKILL
        await asyncio.gather(a_wire.closed_with(), b_wire.closed_with())

    async with server_process("--data", str(data), port=port) as again:
        assert again.port == port
        async with member(port) as a_wire, member(port) as b_wire:
            a.connection, b.connection = a_wire, b_wire
            resume = {"t": "resume", "code": created["code"]}
            # a reads the whole log again: every event, each box byte for byte, as before.
            back_a = await a.request({**resume, "token": created["token"], "after": 0})
            back_b = await b.request({**resume, "token": joined["token"], "after": b.last_seq})
            await a.next()
            assert a.events == b.events
            assert seqs_of(a) == list(range(1, 18)), "no gap, no repeat"
            assert {seq: a.events[seq] for seq in before} == before, "nothing received is lost"
            assert [(a.events[s]["kind"], a.events[s]["by"]) for s in range(14, 18)] == [
                ("away", "a"),
                ("away", "b"),
                ("back", "a"),
                ("back", "b"),
            ]
            state = back_b["state"]
            assert (state["phase"], state["round"], state["floor"]) == ("reflecting", 1, "a")
            assert state["online"] == {"a": True, "b": True}
            assert state["names"] == {"a": hello_box("a"), "b": hello_box("b")}
            assert back_a["events"][-1]["kind"] == "back"
            await move(a, b, {"t": "reflect", "box": b"\x03sealed: small kindnesses"})
            assert a.events[18]["kind"] == "reflect"
            assert a.events == b.events
            status, body = await http_get(port, "/healthz")
            assert (status, json.loads(body)["db"], json.loads(body)["rooms"]) == (200, "ok", 1)


async def test_a_clean_stop_records_away_before_the_file_is_closed(tmp_path: Path) -> None:
    """`close()` records each member's `away` and then closes the file: a restart adds nothing."""
    data = tmp_path / "data"
    running = await start_server(ServerConfig(port=0, data=str(data)))
    try:
        status, body = await http_get(running.port, "/healthz")
        assert (status, json.loads(body)["db"]) == (200, "ok")
        async with member(running.port) as a, member(running.port) as b:
            created = await a.request({"t": "create"})
            await b.request({"t": "join", "code": created["code"]})
            await running.close()
            assert await a.closed_with() == 1001
    finally:
        await running.close()
    store = SqliteRoomStore.open(data)
    try:
        (room,) = store.rooms()
        assert sorted((e.kind, e.by) for e in room.log[2:]) == [("away", "a"), ("away", "b")]
        assert not any(room.session.online.values())
    finally:
        store.close()


async def test_data_that_cannot_be_used_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    """`--data` naming a file, not a directory, prints one line naming it and exits with 2."""
    taken = tmp_path / "not-a-directory"
    taken.write_text("")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--port", "0", "--data", str(taken), stderr=subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), seconds(10))
    assert process.returncode == 2
    text = stderr.decode()
    assert "Traceback" not in text
    last = text.strip().splitlines()[-1]
    assert last == f"fireside-server: cannot use {taken}: it is not a directory."


async def test_a_second_server_on_the_same_data_is_refused(tmp_path: Path) -> None:
    """While one server holds `--data`, a second one on it exits with 2 and says it is in use."""
    data = tmp_path / "data"
    async with server_process("--data", str(data)):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server",
            "--port",
            "0",
            "--data",
            str(data),
            stderr=subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), seconds(10))
    assert process.returncode == 2
    assert "in use by another server" in stderr.decode()


def room_on_disk(data: Path) -> Pair:
    """A data directory holding one paired room, as a server stopped by a crash leaves it."""
    store = SqliteRoomStore.open(data)
    try:
        rooms = RoomRegistry(store, room_ttl_ms=86_400_000, max_rooms=1, max_log_bytes=1 << 20)
        return seat_pair(rooms, now=int(time.time() * 1000))
    finally:
        store.close()


async def refused_start(data: Path) -> tuple[int | None, list[str]]:
    """`python -m server --data DATA`, which must not start: its exit code and stderr's lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--port", "0", "--data", str(data), stderr=subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), seconds(10))
    return process.returncode, stderr.decode().splitlines()


def unknown_kind(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE events SET kind = 'gossip' WHERE seq = 3")
    db.close()


def seats_of_no_room(path: Path) -> None:
    with sqlite3.connect(path) as db:  # foreign keys are off on a plain connection
        db.execute("DELETE FROM events")
        db.execute("DELETE FROM rooms")
    db.close()


def not_a_database(path: Path) -> None:
    path.write_bytes(b"these bytes were never a database " * 200)


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (unknown_kind, f"it is damaged: an event has an unknown kind{RESTORE}"),
        (seats_of_no_room, f"it is damaged: a seat row belongs to no room{RESTORE}"),
        (not_a_database, f"it is not a database, or it is damaged (SQLite says notadb){RESTORE}"),
    ],
    ids=["unknown-kind", "seats-of-no-room", "not-a-database"],
)
async def test_a_damaged_data_file_is_one_sentence_exit_2_and_no_code_or_token(
    tmp_path: Path, damage: Callable[[Path], None], says: str
) -> None:
    """A start on a damaged file exits 2 with one line on stderr that says what is wrong and
    where the backup is, and holds no room code, key or token."""
    data = tmp_path / "data"
    pair = room_on_disk(data)
    damage(data / DB_FILE)
    code, lines = await refused_start(data)
    assert code == 2
    assert lines == [f"fireside-server: cannot use {data / DB_FILE}: {says}."]
    room = pair.a.room
    for secret in (room.code, room.key, pair.a_token, pair.b_token):
        assert secret not in lines[0]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs of its own, mounted for the test and gone after it: a disk that fills."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def fill(disk: Path) -> None:
    """Zeros in a file of their own on `disk` until it takes no more."""
    with (
        (disk / "filler").open("wb", buffering=0) as filler,
        pytest.raises(OSError, match=os.strerror(errno.ENOSPC)),
    ):
        write_forever(filler)


def write_forever(filler: BinaryIO) -> None:
    while True:
        filler.write(bytes(4096))


async def test_a_start_on_a_full_disk_says_the_disk_is_full_and_the_data_survives(
    small_disk: Path,
) -> None:
    """On a disk with no space left, the server exits 2 with one line saying the disk is full
    (and SQLite's word); once there is space again the room is all there."""
    data = small_disk / "data"
    pair = room_on_disk(data)
    fill(small_disk)
    code, lines = await refused_start(data)
    assert code == 2
    assert len(lines) == 1
    assert lines[0].startswith(f"fireside-server: cannot use {data / DB_FILE}: the disk is full")
    assert "(SQLite says " in lines[0]
    (small_disk / "filler").unlink()
    store = SqliteRoomStore.open(data)
    try:
        (room,) = store.rooms()
        assert room.log == pair.a.room.log
    finally:
        store.close()


@pytest.mark.parametrize("kept_in", ["sqlite", "postgresql"])
async def test_new_epochs_makes_a_client_from_before_take_the_whole_log_again(
    tmp_path: Path, request: pytest.FixtureRequest, kept_in: str
) -> None:
    """`fireside-server --new-epochs` on the data of a stopped server gives every room a new
    epoch and prints how many, never a code; a member resuming with the epoch it held is sent
    the whole log with `resync` (docs/deploy.md, after a restore)."""
    data = tmp_path / "data" if kept_in == "sqlite" else request.getfixturevalue("postgres_url")
    async with (
        server_process("--data", str(data)) as first,
        member(first.port) as a,
        member(first.port) as b,
        member(first.port) as c,
    ):
        created = await a.request({"t": "create"})
        joined = await b.request({"t": "join", "code": created["code"]})
        await c.request({"t": "create"})
        assert created["epoch"] == joined["epoch"]
        assert (await a.recv())["kind"] == "joined"
        assert (await pair_up(a, b))["seq"] == 8
    renew = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server",
        "--new-epochs",
        "--data",
        str(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(renew.communicate(), seconds(20))
    said = stdout.decode() + stderr.decode()
    assert renew.returncode == 0, said
    assert stdout.decode() == "fireside-server: 2 room(s) have a new epoch.\n"
    assert created["code"] not in said
    async with server_process("--data", str(data)) as again, member(again.port) as b:
        resume = {"t": "resume", "code": created["code"], "token": joined["token"], "after": 8}
        back = await b.request({**resume, "epoch": joined["epoch"]})
        assert back["resync"] is True
        assert back["epoch"] != joined["epoch"]
        seqs = [event["seq"] for event in back["events"]]
        assert seqs == list(range(1, len(seqs) + 1))
        assert [event["kind"] for event in back["events"]][:8] == [
            "joined",
            "joined",
            "pake",
            "pake",
            "verify",
            "verify",
            "hello",
            "hello",
        ]
