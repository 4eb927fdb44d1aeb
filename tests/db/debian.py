"""A service the tests need, installed from Debian's packages when it is missing and we may
(as root, as CI runs): the README's test command then needs nothing installed by hand."""

import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable

APT_LOCK = "/tmp/fireside-apt.lock"


def install_if_missing(package: str, present: Callable[[], bool]) -> None:
    """`apt-get install package` unless `present()` already says it is there, or we may not.

    One xdist worker installs while the others wait on the lock, then find it there; one lock
    for every package, since dpkg takes one install at a time."""
    if present() or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    with open(APT_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if present():
            return
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["update", "-qq"], ["install", "-y", "-qq", package]):
            subprocess.run(
                # And apt's own lock waited for, should anything else be installing.
                ["apt-get", "-o", "DPkg::Lock::Timeout=300", *command],
                check=False,
                timeout=600,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
