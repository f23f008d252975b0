"""Cold start as Lambda runs it: ``import app`` from the unzipped deployment package, over the framework.

The deployment package is built as `make package` builds it (`chalice package`,
then deploy/bytecode.py's compiled modules added), unzipped into a directory
made read-only, and imported from there with PYTHONDONTWRITEBYTECODE=1, as
Lambda imports from /var/task: whatever bytecode the zip carries is used, and
nothing is compiled once for later runs. Chalice itself comes from the zip too
(Chalice ships it); boto3 comes from the environment with its bytecode, as the
Lambda runtime provides it.

Each import runs in a fresh interpreter, since a second import in one process is
a dictionary lookup. The kinds of run alternate, so drift in the machine's load
affects them alike, and the median ignores the odd slow start. The budget is
judged on CPU time: on a shared machine, wall time also counts the moments the
import waited for a core, which is noise, not start-up cost.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import Figure, at_most, info
from deploy import stages
from deploy.package import ZIP, chalice_package

SECTION = "cold start (unzipped deployment package, read-only, fresh interpreter, median)"
RUNS = 41
RATIO_BUDGET = 1.15  # issue #13
STAGE = "prod"

# Wall time and the process's CPU time around the import alone (not interpreter start-up).
_TIMED = (
    "import time; w, c = time.perf_counter(), time.process_time(); import {modules}; "
    "print(time.perf_counter() - w, time.process_time() - c)"
)
# The app's own share: its import timed after the framework's, in one interpreter. The framework's import
# then runs with the garbage collector on (app.py pauses it from its first line): the cut without that pause.
_TIMED_AFTER = (
    "import time; import {baseline}; w, c = time.perf_counter(), time.process_time(); import {modules}; "
    "print(time.perf_counter() - w, time.process_time() - c)"
)
BASELINE = "chalice, boto3"
APP = "app"


def _env(write: bool = False) -> dict[str, str]:
    # No PYTHONPYCACHEPREFIX: with one, Python would look for bytecode there and never beside the sources.
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONPATH")}
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(args: list[str], where: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # `-c` puts the working directory first on sys.path, as Lambda puts /var/task.
    return subprocess.run([sys.executable, *args], cwd=where, env=env, capture_output=True, text=True, check=True)


def _unzip_read_only(archive: Path, into: Path, with_bytecode: bool) -> Path:
    with zipfile.ZipFile(archive) as opened:
        members = [n for n in opened.namelist() if with_bytecode or "__pycache__/" not in n]
        opened.extractall(into, members)
    for path in sorted(into.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    into.chmod(0o555)
    return into


def _writable_again(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, modules: str, where: Path, after: str | None = None) -> None:
        code = _TIMED_AFTER.format(baseline=after, modules=modules) if after else _TIMED.format(modules=modules)
        wall, cpu = _run(["-c", code], where, _env()).stdout.split()
        self.wall.append(float(wall) * 1000)
        self.cpu.append(float(cpu) * 1000)

    @property
    def wall_ms(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu)


def _heaviest_own_modules(where: Path, count: int) -> str:
    """The app's own modules that cost most (self time), beyond what the baseline already imported."""
    stderr = _run(["-X", "importtime", "-c", f"import {BASELINE}; import {APP}"], where, _env()).stderr
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
    tmp = Path(tempfile.mkdtemp(prefix="bench-coldstart-"))
    try:
        chalice_package(stages.load(STAGE), tmp / "out")
        shipped = _unzip_read_only(tmp / "out" / ZIP, tmp / "shipped", with_bytecode=True)
        bare = _unzip_read_only(tmp / "out" / ZIP, tmp / "bare", with_bytecode=False)
        # boto3 is the runtime's, with its bytecode: make sure the environment's is written once.
        _run(["-c", f"import {BASELINE}"], Path(tempfile.gettempdir()), _env(write=True))
        app, base, source, own = Samples(), Samples(), Samples(), Samples()
        for _ in range(RUNS):
            app.add(APP, shipped)
            base.add(BASELINE, shipped)
            source.add(APP, bare)
            own.add(APP, shipped, after=BASELINE)
        heaviest = _heaviest_own_modules(shipped, 3)
    finally:
        _writable_again(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
    return [
        info(SECTION, f"import {BASELINE}", f"{base.cpu_ms:.1f} ms CPU, {base.wall_ms:.1f} ms wall",
             f"{RUNS} runs; chalice from the zip, boto3 from the environment"),
        info(SECTION, f"import {APP}", f"{app.cpu_ms:.1f} ms CPU, {app.wall_ms:.1f} ms wall",
             f"{RUNS} runs, the zip's bytecode"),
        at_most(SECTION, f"ratio import {APP} / import {BASELINE} (CPU)", app.cpu_ms / base.cpu_ms, RATIO_BUDGET,
                digits=2, note=f"wall-time ratio {app.wall_ms / base.wall_ms:.2f}; heaviest own modules: {heaviest}"),
        info(SECTION, f"import {APP} after import {BASELINE}", f"{own.cpu_ms:.1f} ms CPU",
             f"the app's own modules and routes; framework plus them: {(base.cpu_ms + own.cpu_ms) / base.cpu_ms:.2f} x "
             "the framework, its import with the collector on"),
        info(SECTION, f"import {APP}, the zip without its bytecode", f"{source.cpu_ms:.1f} ms CPU",
             f"ratio {source.cpu_ms / base.cpu_ms:.2f}; what every cold start paid before the zip carried bytecode"),
    ]
