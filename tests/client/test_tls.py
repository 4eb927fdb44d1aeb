"""`wss://` checks the server's certificate, and each way it can fail is one sentence."""

import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from client.app import FiresideApp
from client.entry import Entry
from client.screens.welcome import WelcomeScreen
from client.widgets.status_line import StatusLine
from server.app import start_server
from server.config import ServerConfig
from tests.client.drive import in_room, session_of, until

SIZE = (100, 30)


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no authority signed, and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    command = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    command += ["-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1"]
    command += ["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(command, check=True, capture_output=True)
    return cert, key


@pytest.fixture
async def tls_server(self_signed: tuple[Path, Path]) -> AsyncIterator[str]:
    """Our server speaking `wss://` itself, with the self-signed certificate."""
    cert, key = self_signed
    running = await start_server(ServerConfig(port=0, tls_cert=cert, tls_key=key))
    yield f"wss://127.0.0.1:{running.port}"
    await running.close()


async def problem_after_entering(url: str) -> str:
    """The sentence the welcome screen shows after trying to create a room at `url`."""
    app = FiresideApp(Entry(url, "Ana"), enter_now=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, WelcomeScreen) and app.screen.problem)
        assert isinstance(app.screen, WelcomeScreen)
        return app.screen.problem


async def test_an_untrusted_certificate_is_one_sentence(tls_server: str) -> None:
    """A self-signed certificate is refused: verification is on for every wss:// address."""
    assert await problem_after_entering(tls_server) == (
        "The server's certificate could not be verified: self-signed certificate."
    )


async def test_a_private_ca_is_trusted_through_ssl_cert_file(
    tls_server: str, self_signed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With SSL_CERT_FILE naming the certificate, the same wss:// server lets us in."""
    monkeypatch.setenv("SSL_CERT_FILE", str(self_signed[0]))
    assert ssl.create_default_context().cert_store_stats()["x509_ca"] == 1
    app = FiresideApp(Entry(tls_server, "Ana"), enter_now=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: in_room(app))
        status = session_of(app).query_one(StatusLine)
        await until(pilot, lambda: status.sentence == "Waiting for your partner…")


async def test_wss_to_a_plain_server_is_one_sentence(server_url: str) -> None:
    """A wss:// address for a server that speaks plain ws:// says the secure connection failed."""
    url = server_url.replace("ws://", "wss://")
    assert await problem_after_entering(url) == (
        f"Could not make a secure connection to {url}; does it really serve wss://?"
    )
