"""What a process costs, read from /proc: CPU seconds so far and resident memory."""

import os
import signal
import subprocess
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of `pid` and its threads, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # Fields after the command name, which is in parentheses and may hold spaces.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_mib(pid: int) -> float:
    """Resident set size of `pid` in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for process {pid}")


def core_ticks(core: int) -> tuple[int, int]:
    """(busy, all) clock ticks of one core so far, interrupts and the network stack included.

    A process's own CPU time leaves out much of what the kernel does for its
    sockets; the core's busy share says whether the server's core is full.
    """
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name == f"cpu{core}":
            ticks = [int(value) for value in values[:8]]
            idle = ticks[3] + ticks[4]
            return sum(ticks) - idle, sum(ticks)
    raise ValueError(f"no core {core} in /proc/stat")


def machine() -> dict[str, str | int]:
    """The CPU model, core count and kernel, for the record beside the figures."""
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    uname = os.uname()
    return {
        "cpu": model,
        "cores": os.cpu_count() or 0,
        "kernel": f"{uname.sysname} {uname.release}",
    }


def stop(process: "subprocess.Popen[bytes]", timeout: float = 30) -> None:
    """SIGTERM, as systemd stops a server, and SIGKILL if it has not exited in `timeout`."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
