"""The uploaded code, run as Lambda would run it: read-only, in an interpreter of its own.

moto stores a function's zip but cannot run it without Docker. So the zip
`chalice deploy` uploaded (the one whose SHA-256 equals the function's
``CodeSha256``) is unpacked read-only and run by a separate Python started
with ``-I -S``: no site-packages, no user site, no PYTHON* variables. Beside
the code there is only what Lambda's Python runtime provides (boto3 and its
dependencies, linked from this virtualenv); the environment is the function's
deployed one plus the credentials and endpoint of the moto server. A handler
that imports anything the zip does not carry fails here as it would in Lambda.

One process per function, kept for many invocations, as a warm container is.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import IO, Any

# What AWS's Python runtimes carry besides the standard library.
RUNTIME_LIBRARIES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")

# Runs inside the isolated interpreter: argv = task root, runtime libraries, handler.
_BOOTSTRAP = r"""
import importlib, json, os, sys, uuid
task, libraries, handler = sys.argv[1:4]
sys.path[:0] = [task, libraries]

# /var/task is read-only in Lambda. File modes say so too, but not to root (CI runs as root), so every
# attempt to write, create, remove or rename under the task root is refused here, before it happens.
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_root = os.path.realpath(task) + os.sep

def _under_task(path):
    try:
        return os.path.realpath(os.fsdecode(path)).startswith(_root)
    except (TypeError, ValueError):
        return False

def _read_only(event, args):
    if event == "open":
        path, mode, flags = args
        writes = any(c in (mode or "") for c in "wax+") or bool((flags or 0) & _WRITE_FLAGS)
        if writes and _under_task(path):
            raise PermissionError(13, "Read-only file system", path)
    elif event in ("os.mkdir", "os.remove", "os.rmdir", "os.rename", "os.chmod", "os.truncate") and args \
            and _under_task(args[0]):
        raise PermissionError(13, "Read-only file system", args[0])

sys.addaudithook(_read_only)
answers = sys.stdout
sys.stdout = sys.stderr  # what the handler prints is its log, never the answer
module_name, function_name = handler.rsplit(".", 1)
function = getattr(importlib.import_module(module_name), function_name)

class Context:
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
    invoked_function_arn = os.environ.get("FUNCTION_ARN", "")
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "deploy-check"
    def __init__(self):
        self.aws_request_id = str(uuid.uuid4())
    def get_remaining_time_in_millis(self):
        return 10000

for line in sys.stdin:
    try:
        answer = {"result": function(json.loads(line), Context())}
    except Exception as error:
        answer = {"error": type(error).__name__ + ": " + str(error)}
    answers.write(json.dumps(answer, default=str) + "\n")
    answers.flush()
"""


# Runs inside another isolated interpreter: argv = task root, runtime libraries. A cold start (import app) loads
# none of the sign-in libraries; loading blog/oidc_client.py then finds them in the zip's signin_libs/ folder,
# and cryptography's compiled binding signs and verifies a token there (joserfc, as an id_token is checked).
_SIGN_IN_PROBE = r"""
import json, sys
task, libraries = sys.argv[1:3]
sys.path[:0] = [task, libraries]
import app
heavy = ("cryptography", "OpenSSL", "webauthn", "authlib", "joserfc", "cbor2", "cffi")
at_start = sorted({name.split(".")[0] for name in sys.modules} & set(heavy))
import chalicelib.blog.oidc_client
import authlib.oidc.core, cbor2, cryptography, webauthn
from joserfc import jwt
from joserfc.jwk import ECKey
key = ECKey.generate_key("P-256")
claims = jwt.decode(jwt.encode({"alg": "ES256"}, {"sub": "probe"}, key), key, algorithms=["ES256"]).claims
print(json.dumps({"at_start": at_start, "sub": claims["sub"],
                  "files": {m.__name__: m.__file__ for m in (authlib, cbor2, cryptography, webauthn)}}))
"""


class InvocationError(Exception):
    pass


def probe_sign_in_libraries(task: Path, libraries: Path, environment: dict[str, str]) -> list[str]:
    """What `import app` loads of the sign-in libraries (nothing), and where a sign-in then finds them."""
    done = subprocess.run([sys.executable, "-I", "-S", "-c", _SIGN_IN_PROBE, str(task), str(libraries)],
                          cwd=task, env=environment, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise InvocationError(f"the sign-in libraries do not load from the zip:\n{done.stderr[-2000:]}")
    found = json.loads(done.stdout.splitlines()[-1])
    if found["at_start"]:
        raise InvocationError(f"import app loaded sign-in libraries at cold start: {found['at_start']}")
    folder = str(task / "signin_libs") + os.sep
    outside = [name for name, file in found["files"].items() if not file.startswith(folder)]
    if outside or found["sub"] != "probe":
        raise InvocationError(f"sign-in libraries imported from outside the zip's signin_libs/: {outside}")
    return ["import app loads none of cryptography, pyOpenSSL, py_webauthn, authlib, joserfc, cbor2",
            f"a sign-in loads them from the zip's signin_libs/ ({', '.join(sorted(found['files']))}); "
            "joserfc signed and verified an ES256 token with its cryptography"]


def code_sha256(archive: Path) -> str:
    """Lambda's CodeSha256: the base64 of the zip's SHA-256."""
    return base64.b64encode(hashlib.sha256(archive.read_bytes()).digest()).decode()


def unpack_read_only(archive: Path, into: Path) -> Path:
    """The zip's files, read-only (for root, who may write anyway, the bootstrap's audit hook refuses)."""
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(into)
    for root, dirs, files in os.walk(into):
        for name in files:
            os.chmod(Path(root, name), stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        for name in dirs:
            os.chmod(Path(root, name), stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH
                     | stat.S_IXOTH)
    into.chmod(0o555)
    return into


def runtime_libraries(into: Path) -> Path:
    """A directory holding only the runtime's own libraries (links into this virtualenv)."""
    into.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_LIBRARIES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise InvocationError(f"{name} is not installed here; the Lambda runtime provides it")
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = into / source.name
        if not link.exists():
            link.symlink_to(source)
    return into


class Function:
    """One deployed function's code, ready to invoke: its handler, its environment, nothing else."""

    def __init__(self, task: Path, libraries: Path, handler: str, environment: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_read = 0
        self._stderr = log.open("w")
        for blocked in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"):
            environment.pop(blocked, None)
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _BOOTSTRAP, str(task), str(libraries), handler],
            cwd=task, env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            text=True)

    def invoke(self, event: dict[str, Any]) -> Any:
        stdin: IO[str] | None = self.process.stdin
        stdout: IO[str] | None = self.process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(json.dumps(event) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise InvocationError(f"the function's interpreter ended (exit {self.process.wait()})")
        answer = json.loads(line)
        if "error" in answer:
            raise InvocationError(answer["error"])
        return answer["result"]

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON lines the function has logged since the last call (its structured log, EMF metrics)."""
        lines = self.log.read_text().splitlines()
        fresh, self._log_read = lines[self._log_read:], len(lines)
        records = []
        for line in fresh:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=10)
        self._stderr.close()
