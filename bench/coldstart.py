"""Cold start: the cost of ``import app`` over the framework it cannot avoid.

Each import runs in a fresh interpreter, since a second import in one process
is a dictionary lookup. Bytecode caching must be the same for both sides of the
ratio, whatever the caller's environment says (PYTHONDONTWRITEBYTECODE, stale
__pycache__ directories), so every run reads its .pyc files from a private
PYTHONPYCACHEPREFIX that the bench fills first; nothing is written into the
project tree. The kinds of run alternate, so drift in the machine's load
affects them alike, and the median ignores the odd slow start.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import PROJECT
from bench.report import Figure, at_most, info

SECTION = "cold start (fresh interpreter, median)"
RUNS = 15
RATIO_BUDGET = 1.3

# Wall time and the process's CPU time around the import alone (not interpreter start-up).
_TIMED = (
    "import time; w, c = time.perf_counter(), time.process_time(); import {modules}; "
    "print(time.perf_counter() - w, time.process_time() - c)"
)
BASELINE = "chalice, boto3"
APP = "app"


def _env(prefix: Path, write: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    env["PYTHONPYCACHEPREFIX"] = str(prefix)
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=PROJECT, env=env, capture_output=True, text=True, check=True)


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, modules: str, env: dict[str, str]) -> None:
        wall, cpu = _run(["-c", _TIMED.format(modules=modules)], env).stdout.split()
        self.wall.append(float(wall) * 1000)
        self.cpu.append(float(cpu) * 1000)

    @property
    def wall_ms(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu)


def _heaviest_own_modules(env: dict[str, str], count: int) -> str:
    """The app's own modules that cost most (self time), beyond what the baseline already imported."""
    stderr = _run(["-X", "importtime", "-c", f"import {BASELINE}; import {APP}"], env).stderr
    last_baseline = " " + BASELINE.split(", ")[-1]
    own: list[tuple[int, str]] = []
    baseline_done = False
    for line in stderr.splitlines():
        # "import time: self [us] | cumulative | imported package", nested ones indented
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        if not baseline_done:
            # Lines print as imports finish, so the baseline's last top-level module ends its share.
            baseline_done = parts[2].rstrip() == last_baseline
            continue
        own.append((int(parts[0]), parts[2].strip()))
    own.sort(reverse=True)
    return ", ".join(f"{name} {micros / 1000:.1f} ms" for micros, name in own[:count])


def measure() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as tmp:
        compiled, framework_only = Path(tmp, "all"), Path(tmp, "framework")
        # Fill the caches: one with everything compiled, one with only the framework,
        # for the app as it starts where its own .pyc cannot be written or shipped.
        _run(["-c", f"import {BASELINE}; import {APP}"], _env(compiled, write=True))
        _run(["-c", f"import {BASELINE}"], _env(framework_only, write=True))
        cached, source_env = _env(compiled, write=False), _env(framework_only, write=False)
        app, base, source = Samples(), Samples(), Samples()
        for _ in range(RUNS):
            app.add(APP, cached)
            base.add(BASELINE, cached)
            source.add(APP, source_env)
        heaviest = _heaviest_own_modules(cached, 3)
    # The budget is judged on CPU time: on a shared machine, wall time also counts
    # the moments the import waited for a core, which is noise, not start-up cost.
    return [
        info(SECTION, f"import {BASELINE}", f"{base.cpu_ms:.1f} ms CPU, {base.wall_ms:.1f} ms wall",
             f"{RUNS} runs, bytecode cached"),
        info(SECTION, f"import {APP}", f"{app.cpu_ms:.1f} ms CPU, {app.wall_ms:.1f} ms wall",
             f"{RUNS} runs, bytecode cached"),
        at_most(SECTION, f"ratio import {APP} / import {BASELINE} (CPU)", app.cpu_ms / base.cpu_ms, RATIO_BUDGET,
                digits=2, note=f"wall-time ratio {app.wall_ms / base.wall_ms:.2f}; heaviest own modules: {heaviest}"),
        info(SECTION, f"import {APP}, own modules not byte-compiled", f"{source.cpu_ms:.1f} ms CPU",
             f"ratio {source.cpu_ms / base.cpu_ms:.2f}; as on a read-only /var/task with no .pyc shipped"),
    ]
