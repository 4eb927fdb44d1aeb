"""The Dockerfile's own steps, run in a venv, make a server that serves and passes the image's
HEALTHCHECK; the Dockerfile and deploy/compose.yaml have the shape docs/deploy.md describes."""

import fnmatch
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.db.debian import install_if_missing
from tests.timing import seconds

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
PORT = 8765


@dataclass(frozen=True)
class Step:
    keyword: str
    text: str

    @property
    def exec_form(self) -> list[str]:
        """The JSON array of an ENTRYPOINT or CMD (after a HEALTHCHECK's options)."""
        return list(json.loads(self.text[self.text.index("[") :]))


def stages() -> list[list[Step]]:
    """Each build stage's instructions, continuation lines joined, comments left out."""
    lines = re.sub(r"\\\n", " ", DOCKERFILE.read_text()).splitlines()
    found: list[list[Step]] = [[]]
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, text = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            found.append([])
        found[-1].append(Step(keyword.upper(), " ".join(text.split())))
    return found


def the(keyword: str) -> Step:
    (step,) = [step for step in stages()[-1] if step.keyword == keyword]
    return step


def copy_context(into: Path) -> None:
    """What `docker build .` sends: the tree less what .dockerignore names."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(ROOT)
        return {
            name
            for name in names
            for pattern in patterns
            if fnmatch.fnmatch((relative / name).as_posix().removeprefix("./"), pattern)
            or (pattern.startswith("**/") and fnmatch.fnmatch(name, pattern[3:]))
        }

    shutil.copytree(ROOT, into, ignore=ignored, symlinks=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_dockerfile_steps_in_a_venv_serve_and_pass_the_healthcheck(tmp_path: Path) -> None:
    """The build stage's RUN makes a wheel of what .dockerignore lets through, the final
    stage's RUN installs it into a venv of its own, and the ENTRYPOINT, with /data and the
    port moved into the test's places, serves: the HEALTHCHECK passes while it runs and fails
    once SIGTERM has stopped it, and arguments after the entry point (`--check`) win."""
    context, venv, data = tmp_path / "context", tmp_path / "venv", tmp_path / "data"
    copy_context(context)
    assert not (context / "tests").exists()
    port = free_port()
    places = {
        "/opt/fireside": str(venv),
        "/wheels": str(tmp_path / "wheels"),
        "/data": str(data),
        str(PORT): str(port),
    }

    def moved(text: str) -> str:
        for path, there in places.items():
            text = text.replace(path, there)
        return text

    # `python` is the image's interpreter; here, the one running the tests.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    path = f"{venv / 'bin'}{os.pathsep}{bin_dir}{os.pathsep}{os.environ['PATH']}"
    environment = {**os.environ, "PATH": path}
    build, final = stages()[-2:]
    for step in (step for step in build if step.keyword == "RUN"):
        subprocess.run(["bash", "-ec", moved(step.text)], cwd=context, env=environment, check=True)
    # The final stage's dependencies come from the tests' own venv, and no index: the wheel's
    # requirements must be met by what is installed, or pip fails here.
    installed = {
        **environment,
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        "PIP_NO_INDEX": "1",
    }
    for step in (step for step in final if step.keyword == "RUN"):
        if "useradd" in step.text:
            continue  # the user is root's to make; the data directory is made below instead
        subprocess.run(["bash", "-ec", moved(step.text)], cwd=tmp_path, env=installed, check=True)
    data.mkdir(mode=0o700)
    where = subprocess.run(
        ["python", "-c", "import server.cli; print(server.cli.__file__)"],
        cwd=tmp_path,
        env=installed,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv), "the server runs from the wheel"

    entry = [moved(word) for word in the("ENTRYPOINT").exec_form]
    health = [moved(word) for word in the("HEALTHCHECK").exec_form]
    server = subprocess.Popen(entry, cwd=tmp_path, env=installed, stderr=subprocess.PIPE, text=True)
    assert server.stderr is not None
    try:
        line = server.stderr.readline()
        assert f"listening on 0.0.0.0 port {port}" in json.loads(line)["message"], line
        checked = subprocess.run(health, env=installed, timeout=seconds(10), check=False)
        assert checked.returncode == 0
        server.send_signal(signal.SIGTERM)
        assert server.wait(seconds(10)) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stderr.close()
    unhealthy = subprocess.run(health, env=installed, timeout=seconds(10), capture_output=True)
    assert unhealthy.returncode != 0, "the check must fail when nothing answers"
    check = subprocess.run(
        [*entry, "--check"], env=installed, capture_output=True, text=True, timeout=seconds(20)
    )
    assert check.returncode == 0, check
    assert ", 0 room(s), 0 event(s), " in check.stdout


def test_the_image_is_slim_pinned_unprivileged_and_keeps_rooms_in_its_volume() -> None:
    """A pinned python:3.N-slim base for both stages, a numeric non-root user that owns /data,
    /data a volume, and the exposed port the one the entry point and the health check use."""
    bases = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert len(bases) == 1
    assert re.fullmatch(r"python:3\.1[1-9]-slim", bases[0])
    assert [stage[0].text.split()[0] for stage in stages()[1:]] == ["${PYTHON_IMAGE}"] * 2
    user = the("USER").text
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), "numeric and not root"
    uid, gid = user.split(":")
    (made,) = [step.text for step in stages()[-1] if "useradd" in step.text]
    assert f"--uid {uid}" in made
    assert f"--gid {gid}" in made
    assert "install -d -o fireside -g fireside -m 0700 /data" in made
    assert the("VOLUME").text == "/data"
    assert the("EXPOSE").text == str(PORT)
    entry = the("ENTRYPOINT").exec_form
    assert entry[0] == "fireside-server"
    for flag, value in (("--host", "0.0.0.0"), ("--port", str(PORT)), ("--data", "/data")):
        assert entry[entry.index(flag) + 1] == value
    assert "--trust-proxy" in entry
    assert f"http://127.0.0.1:{PORT}/healthz" in " ".join(the("HEALTHCHECK").exec_form)


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    """hadolint (the dev extra's static binary) passes the Dockerfile at its default rules."""
    hadolint = Path(sys.executable).with_name("hadolint")
    linted = subprocess.run(
        [str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def compose() -> dict[str, dict[str, dict[str, object]]]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_puts_caddy_alone_in_front_and_the_rooms_in_a_named_volume() -> None:
    """Only Caddy publishes ports (80 and 443); fireside is built from the repository's root
    and keeps /data in a named volume; both come back after a crash or a reboot; Caddy's
    Caddyfile is the one beside it and proxies to the port fireside listens on."""
    file = compose()
    services = file["services"]
    assert set(services) == {"fireside", "caddy"}
    fireside, caddy = services["fireside"], services["caddy"]
    assert "ports" not in fireside
    assert caddy["ports"] == ["80:80", "443:443", "443:443/udp"]
    build = fireside["build"]
    assert isinstance(build, dict)
    assert (COMPOSE.parent / str(build["context"])).resolve() == ROOT
    assert fireside["volumes"] == ["fireside-data:/data"]
    assert "fireside-data" in file["volumes"]
    assert fireside["restart"] == caddy["restart"] == "unless-stopped"
    assert str(caddy["image"]).startswith("caddy:2")
    assert caddy["depends_on"] == {"fireside": {"condition": "service_healthy"}}
    mounts = [str(volume).split(":") for volume in caddy["volumes"]]  # type: ignore[attr-defined]
    caddyfile = next(
        COMPOSE.parent / host for host, inside, *_ in mounts if inside == "/etc/caddy/Caddyfile"
    )
    assert caddyfile.is_file()
    assert re.search(rf"^\s*reverse_proxy fireside:{PORT}$", caddyfile.read_text(), re.MULTILINE)


def _compose_program() -> list[str] | None:
    """`docker compose` (the v2 plugin) or `docker-compose`, whichever is here; None if neither."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    old = shutil.which("docker-compose")
    return [old] if old else None


def test_docker_compose_accepts_the_file_where_it_is_installed(tmp_path: Path) -> None:
    """`docker compose config` (no daemon needed) resolves the file, and refuses it without a
    domain. Docker's compose is no Python package; where neither it nor docker-compose is
    installed, the test says so and skips."""
    program = _compose_program()
    if program is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    text = COMPOSE.read_text()
    if program[-1].endswith("docker-compose"):
        # docker-compose 1.x predates the spec's top-level `name`: read it without.
        text = text.replace("name: fireside\n", "")
    copy = tmp_path / "compose.yaml"
    copy.write_text(text)
    command = [*program, "--project-directory", str(COMPOSE.parent), "-f", str(copy), "config"]
    environment = {key: value for key, value in os.environ.items() if key != "FIRESIDE_DOMAIN"}
    refused = subprocess.run(command, env=environment, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "FIRESIDE_DOMAIN" in refused.stdout + refused.stderr
    resolved = subprocess.run(
        command,
        env={**environment, "FIRESIDE_DOMAIN": "fireside.example.org"},
        capture_output=True,
        text=True,
    )
    assert resolved.returncode == 0, resolved.stderr
    assert "fireside.example.org" in resolved.stdout


def _caddy() -> str | None:
    return shutil.which("caddy")


@pytest.mark.parametrize("caddyfile", ["Caddyfile", "Caddyfile.compose"])
def test_caddy_validates_each_caddyfile(caddyfile: str) -> None:
    """`caddy validate` (Debian's package, installed first if missing and we may) accepts both
    Caddyfiles as they are, the compose one with its domain from FIRESIDE_DOMAIN."""
    install_if_missing("caddy", lambda: _caddy() is not None)
    caddy = _caddy()
    if caddy is None:
        pytest.fail("Caddy is not installed and could not be: `apt-get install caddy`")
    validated = subprocess.run(
        [caddy, "validate", "--adapter", "caddyfile", "--config", str(ROOT / "deploy" / caddyfile)],
        env={**os.environ, "FIRESIDE_DOMAIN": "fireside.example.org"},
        capture_output=True,
        text=True,
        timeout=seconds(30),
    )
    assert validated.returncode == 0, validated.stderr
    assert "Valid configuration" in validated.stdout + validated.stderr
