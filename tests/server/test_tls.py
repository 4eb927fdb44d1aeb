"""Built-in TLS: a round over `wss://` with a test CA, refused trust, and one-sentence errors."""

import asyncio
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from server.app import RunningServer, start_server
from server.config import ServerConfig
from server.tls import CertificateError, server_context
from tests.server.wire import Member, member, paired_pair
from tests.timing import seconds


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def cert_files(ca: trustme.CA, tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by `ca`, and its key, as PEM files."""
    issued = ca.issue_cert("127.0.0.1", "localhost")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    return cert, key


@pytest.fixture
async def tls_server(cert_files: tuple[Path, Path]) -> AsyncIterator[RunningServer]:
    cert, key = cert_files
    running = await start_server(ServerConfig(port=0, tls_cert=cert, tls_key=key))
    try:
        yield running
    finally:
        await running.close()


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    """A client context with certificate checks on, trusting `ca` alone."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(context)
    return context


async def test_a_round_works_over_wss_with_a_trusted_ca(
    tls_server: RunningServer, ca: trustme.CA
) -> None:
    """Two members who trust the CA pair, then play ask, say, done, reflect, confirm over wss://
    to round 2."""
    async with paired_pair(tls_server.port, tls=trusting(ca)) as pair:
        a, b = pair.a, pair.b
        script: list[tuple[Member, dict[str, Any]]] = [
            (a, {"t": "ask", "box": b"\x00sealed question"}),
            (b, {"t": "say", "box": b"\x01sealed answer"}),
            (b, {"t": "done"}),
            (a, {"t": "reflect", "box": b"\x02sealed reflection"}),
            (b, {"t": "confirm"}),
        ]
        for sender, message in script:
            await sender.send(message)
            seen_by_a, seen_by_b = await a.recv(), await b.recv()
            assert seen_by_a == seen_by_b
            assert seen_by_a["kind"] == message["t"]
        state = seen_by_a["state"]
        assert (state["phase"], state["round"], state["asker"]) == ("asking", 2, "b")


async def test_a_client_that_does_not_trust_the_ca_fails_verification(
    tls_server: RunningServer,
) -> None:
    """With only the system's trust store, the handshake fails certificate verification."""
    with pytest.raises(ssl.SSLCertVerificationError):
        async with member(tls_server.port, tls=ssl.create_default_context()):
            pass


async def test_a_client_trusting_another_ca_fails_verification(tls_server: RunningServer) -> None:
    """A client that trusts some other CA is refused just the same."""
    with pytest.raises(ssl.SSLCertVerificationError):
        async with member(tls_server.port, tls=trusting(trustme.CA())):
            pass


def test_the_context_refuses_anything_older_than_tls_1_2(cert_files: tuple[Path, Path]) -> None:
    """The server's context is server-side and its minimum version is TLS 1.2."""
    context = server_context(*cert_files)
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert context.protocol == ssl.PROTOCOL_TLS_SERVER


def test_a_mismatched_key_names_both_files(ca: trustme.CA, cert_files: tuple[Path, Path]) -> None:
    """A key from another certificate is one sentence naming the key and the certificate."""
    cert, _ = cert_files
    other = cert.parent / "other-key.pem"
    ca.issue_cert("127.0.0.1").private_key_pem.write_to_path(str(other))
    with pytest.raises(CertificateError) as refused:
        server_context(cert, other)
    assert str(refused.value) == f"the TLS key {other} does not belong to the certificate {cert}."


def _cases(cert: Path, key: Path) -> list[tuple[list[str], str]]:
    """Command-line arguments that must not start a server, and the sentence each must print."""
    missing = cert.parent / "missing.pem"
    garbage = cert.parent / "garbage.pem"
    garbage.write_text("not a certificate\n")
    return [
        (
            ["--tls-cert", str(missing), "--tls-key", str(key)],
            f"cannot read the TLS certificate {missing}: no such file or directory.",
        ),
        (
            ["--tls-cert", str(cert), "--tls-key", str(cert.parent)],
            f"cannot read the TLS key {cert.parent}: is a directory.",
        ),
        (
            ["--tls-cert", str(garbage), "--tls-key", str(key)],
            f"the TLS certificate {garbage} is not a PEM certificate.",
        ),
        (
            ["--tls-cert", str(cert), "--tls-key", str(cert)],
            f"the TLS key {cert} is not an unencrypted PEM private key.",
        ),
    ]


async def test_unusable_tls_files_are_one_sentence_and_exit_2(
    cert_files: tuple[Path, Path],
) -> None:
    """A missing, unreadable or wrong certificate or key prints one line, no traceback, exit 2."""
    for args, sentence in _cases(*cert_files):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server", "--port", "0", *args, stderr=subprocess.PIPE
        )
        _, stderr = await asyncio.wait_for(process.communicate(), seconds(10))
        text = stderr.decode()
        assert process.returncode == 2, text
        assert "Traceback" not in text
        assert text.strip().splitlines() == [f"fireside-server: {sentence}"]


async def test_a_certificate_without_a_key_is_refused_at_the_command_line(
    cert_files: tuple[Path, Path],
) -> None:
    """`--tls-cert` alone is a usage error naming both options, with exit 2."""
    cert, _ = cert_files
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--tls-cert", str(cert), stderr=subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), seconds(10))
    assert process.returncode == 2
    assert "give --tls-cert and --tls-key together" in stderr.decode()
