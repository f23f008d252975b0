"""A newcomer's first answer: from ``git clone`` to ``/health`` answering on ``make run``.

The repository is cloned (its committed HEAD: what a newcomer gets, not the
working tree) into a temporary directory, and ``make run`` starts there on a
free loopback port with nothing but Python: it creates .venv, installs
requirements-run.txt and starts the stack. The clock runs from before the clone
until /health answers 200; the moment the install stamp appears splits it into
installing and starting.

Twice: first with an empty pip cache (PIP_CACHE_DIR in the temporary
directory: every wheel and index page is downloaded), then with that same cache
as the first run left it, as a developer's default cache is after one install.
The clone's stack is stopped with SIGTERM, as Ctrl-C would stop it.

Wall time, and machine-dependent (the network, the other processes on the
machine), so `make bench` prints the budget and CI's `make budgets` leaves it
out. Run alone: ``python -m bench.fresh_clone``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Figure, at_most, info
from devtools import stack_process
from devtools.stack_process import PROJECT

SECTION = "a newcomer's first answer (git clone, then make run until /health answers)"
WARM_BUDGET_SECONDS = 60.0
GIVE_UP_SECONDS = 1800  # a cold install on a slow network; past it the run is reported as failed
STAMP = Path(".venv") / ".installed-run"


def _environment(pip_cache: Path, port: int) -> dict[str, str]:
    # Nothing of this process's venv or test setup leaks in: the clone's make finds python3 on PATH.
    dropped = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PIP_CACHE_DIR", "PIP_NO_CACHE_DIR", "MAKEFLAGS",
               "MAKELEVEL", "MFLAGS")
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("AWS_ENDPOINT_URL")}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env.update(PIP_CACHE_DIR=str(pip_cache), PORT=str(port))
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to make and the stack (their own process group), then SIGKILL whatever is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=60)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def first_answer(workdir: Path, pip_cache: Path, name: str) -> tuple[float, float]:
    """Seconds from the clone's start to the install stamp, and to /health answering."""
    clone = workdir / name
    port = stack_process.free_port()
    env = _environment(pip_cache, port)
    log = workdir / f"{name}.log"
    started = time.perf_counter()
    subprocess.run(["git", "clone", "--quiet", str(PROJECT), str(clone)], check=True, env=env)
    with log.open("w") as output:
        process = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    installed: float | None = None
    try:
        while time.perf_counter() - started < GIVE_UP_SECONDS:
            if installed is None and (clone / STAMP).exists():
                installed = time.perf_counter() - started
            if process.poll() is not None:
                raise RuntimeError(f"make run exited with {process.returncode}:\n{log.read_text()[-4000:]}")
            if stack_process._answers(f"http://127.0.0.1:{port}", timeout=5.0):
                answered = time.perf_counter() - started
                return (installed if installed is not None else answered), answered
            time.sleep(0.2)  # polling for the answer, not waiting for an outcome
        raise RuntimeError(f"no answer in {GIVE_UP_SECONDS} s:\n{log.read_text()[-4000:]}")
    finally:
        _stop(process)


def measure() -> list[Figure]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-fresh-clone-"))
    try:
        cache = workdir / "pip-cache"
        cold_install, cold = first_answer(workdir, cache, "cold")
        warm_install, warm = first_answer(workdir, cache, "warm")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return [
        info(SECTION, "fresh clone to /health, pip cache cold", f"{cold:.1f} s",
             f"installing {cold_install:.1f} s (every wheel downloaded), then starting {cold - cold_install:.1f} s"),
        at_most(SECTION, "fresh clone to /health, pip cache warm", warm, WARM_BUDGET_SECONDS, " s", digits=1,
                note=f"installing {warm_install:.1f} s, then starting {warm - warm_install:.1f} s; "
                     f"wall time on a shared machine: `make bench` only"),
    ]


def main() -> int:
    from bench.report import render

    figures = measure()
    print(render(figures))
    return 0 if all(f.met is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
