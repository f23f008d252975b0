"""vendor/signin_libs/: requirements-signin.txt installed for Lambda's platform, shipped off the import path.

Chalice copies vendor/'s contents to the deployment zip's root, so this folder becomes the zip's
``signin_libs/``, which is not on Lambda's sys.path: chalicelib/signin_libs.py appends it when a passkey or
OpenID Connect sign-in first needs py_webauthn, authlib or joserfc. Were these wheels in requirements.txt,
every cold start would import cryptography (botocore imports pyOpenSSL when it can; PyJWT cryptography).

Built by ``make package`` (deploy/package.py) and ``make deploy`` (deploy/bytecode.py) before Chalice runs, with
pip's binary wheels for manylinux x86_64 (the functions' architecture, Chalice's default) and the runtime's
Python. A stamp records what it was built from, so an unchanged requirements file is not installed again.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from deploy.stages import PROJECT

REQUIREMENTS = "requirements-signin.txt"
FOLDER = Path("vendor") / "signin_libs"
PLATFORM = "manylinux2014_x86_64"
# Lambda's python3.11 runs on Amazon Linux 2 (glibc 2.26): wheels built for glibc 2.17 to 2.26, as Chalice takes.
_PLATFORMS = [*(f"manylinux_2_{minor}_x86_64" for minor in range(17, 27)), PLATFORM]
_STAMP = ".built-from"
# Builds happen beside the project, never inside vendor/: Chalice zips whatever vendor/ holds, a half-built copy too.
_WORKSHOP = Path(".build")


class SigninLibsError(Exception):
    pass


def _fingerprint(requirements: Path) -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"{PLATFORM} cp{python} " + hashlib.sha256(requirements.read_bytes()).hexdigest() + "\n"


def build(project: Path = PROJECT) -> Path:
    """vendor/signin_libs/ for the runtime's platform; unchanged when its stamp matches the requirements.

    Packagings run side by side (the tests' workers): one builds while the others wait on the lock.
    """
    workshop = project / _WORKSHOP
    workshop.mkdir(exist_ok=True)
    with open(workshop / "signin_libs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(project, workshop)


def _build(project: Path, workshop: Path) -> Path:
    requirements = project / REQUIREMENTS
    target = project / FOLDER
    fingerprint = _fingerprint(requirements)
    stamp = target / _STAMP
    if stamp.exists() and stamp.read_text() == fingerprint:
        return target
    partial = workshop / f"signin_libs.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         "--target", str(partial), *(f"--platform={tag}" for tag in _PLATFORMS), "--only-binary=:all:",
         "--python-version", python, "--implementation", "cp", "-r", str(requirements)],
        cwd=project, capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise SigninLibsError(f"pip could not install {REQUIREMENTS} for {PLATFORM}:\n{done.stdout}{done.stderr}")
    shutil.rmtree(partial / "bin", ignore_errors=True)  # console scripts: nothing in Lambda runs them
    (partial / _STAMP).write_text(fingerprint)
    shutil.rmtree(target, ignore_errors=True)
    partial.replace(target)
    return target
