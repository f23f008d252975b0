"""Deployment package: the zip `chalice package` builds, against the 12 MB budget.

The zip holds app.py, chalicelib/ and requirements.txt's wheels for Lambda's
platform (never boto3: the runtime has it), the sign-in libraries in
signin_libs/ (requirements-signin.txt, off the import path), each module with
its bytecode (deploy/bytecode.py), as `make package` ships it. DESIGN.md's
5 MB was raised to 12 MB for cryptography's compiled binding, which passkeys
and OpenID Connect need (docs/decisions.md); the rest still weighs about 3 MB. It is built afresh into a
temporary directory, the dependency layer coming from Chalice's cache in
.chalice/deployments/ after the first run (which downloads the wheels).
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from bench.report import Figure, at_most, info
from deploy import stages
from deploy.package import ZIP, chalice_package

SECTION = "deployment package (chalice package)"
BUDGET_MB = 12.0  # docs/decisions.md: "The sign-in libraries ship off the import path"
STAGE = "prod"


def measure() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-package-") as tmp:
        out = Path(tmp, "out")
        chalice_package(stages.load(STAGE), out)
        archive = out / ZIP
        size_mb = archive.stat().st_size / 1_000_000
        with zipfile.ZipFile(archive) as opened:
            entries = opened.infolist()
    unpacked = sum(entry.file_size for entry in entries) / 1_000_000
    by_top: dict[str, int] = {}
    for entry in entries:
        top = entry.filename.split("/", 1)[0]
        by_top[top] = by_top.get(top, 0) + entry.compress_size
    heaviest = sorted(by_top.items(), key=lambda kv: -kv[1])[:3]
    return [
        at_most(SECTION, f"{ZIP} ({STAGE} stage)", size_mb, BUDGET_MB, " MB", digits=2,
                note=f"{len(entries)} files, {unpacked:.1f} MB unpacked; heaviest: "
                     + ", ".join(f"{name} {size / 1_000_000:.2f} MB" for name, size in heaviest)),
        info(SECTION, "boto3/botocore in the zip", "no" if not {"boto3", "botocore"} & set(by_top) else "YES",
             "the Lambda runtime provides them"),
    ]
