"""``make deploy-check``: `make deploy` against a local moto server, then the stage checked black-box.

1. A moto server on loopback (devtools/moto_server.py, with the gaps between
   moto and AWS that `chalice deploy` meets closed: devtools/moto_deploy.py).
2. A copy of the project (so the real one's .chalice/deployed/ is never
   touched) runs ``make deploy STAGE=dev``: the bootstrap, the bytecode, `chalice
   deploy`, exactly as an operator runs it, with AWS_ENDPOINT_URL at the server.
3. Everything the stage has, read back through boto3, against app.routes, the
   stage's settings, the policy file and `make package`'s template (compare.py).
4. The uploaded zip (checked by CodeSha256) run as Lambda would (runtime.py):
   the README's walkthrough as API Gateway proxy events, then the stream
   handler on the table's real stream records and the schedule handler.
5. A second ``make deploy``: nothing changes but a new API deployment.
6. Negative controls: a missing route, an extra action, a wrong batch size, each
   made on the live stage, must each be reported as a mismatch.
7. ``make teardown``: nothing of the stage is left.

Exit status 0 only when every step held.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy import stages
from deploy.stages import PROJECT, Stage
from devtools.deploy_check import compare, controls, runtime
from devtools.deploy_check.walkthrough import WalkthroughError, walkthrough

STAGE = "dev"
ADMIN = ("admin", "admin@example.com", "deploy-check admin passphrase")
_SKIP = shutil.ignore_patterns(".git", ".venv", "dist", ".local", "node_modules", "deployed", "deployments",
                               "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".tools")


class CheckFailed(Exception):
    pass


def project_copy(into: Path) -> Path:
    copy = into / "project"
    shutil.copytree(PROJECT, copy, ignore=_SKIP, symlinks=True)
    (copy / ".venv").symlink_to((PROJECT / ".venv").resolve())
    return copy


def aws_environment(endpoint: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1"}


def make(project: Path, endpoint: str, *args: str, stdin: str = "", extra: dict[str, str] | None = None) -> str:
    from chalicelib.settings import SECRET_PARAMETERS

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "MAKE")) and k not in SECRET_PARAMETERS and k != "STAGE"}
    done = subprocess.run(["make", "--no-print-directory", *args, f"STAGE={STAGE}"], cwd=project, input=stdin,
                          env={**env, **aws_environment(endpoint), **(extra or {})},
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        output = done.stdout[-3000:] + done.stderr[-3000:]
        raise CheckFailed(f"make {' '.join(args)} failed ({done.returncode}):\n{output}")
    return done.stdout


def stage_environment() -> dict[str, str]:
    config = stages._config()
    return {**config.get("environment_variables", {}), **config["stages"][STAGE].get("environment_variables", {})}


class Check:
    def __init__(self, endpoint: str, work: Path, say: Callable[[str], None]) -> None:
        import boto3

        self.endpoint, self.work, self.say = endpoint, work, say
        aws = aws_environment(endpoint)
        self.session = boto3.Session(aws_access_key_id=aws["AWS_ACCESS_KEY_ID"],
                                     aws_secret_access_key=aws["AWS_SECRET_ACCESS_KEY"],
                                     region_name=aws["AWS_DEFAULT_REGION"])
        self.stage: Stage = stages.load(STAGE)
        self.shape = stages.app_shape()
        self.log = (work / "functions.log").open("w")  # what the functions print: their logs

    def aws(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint)  # type: ignore[call-overload]

    def observe(self) -> compare.Live:
        return compare.observe(self.aws, self.stage, self.shape.functions)

    def findings(self, template: dict[str, Any], stream_arn: str) -> list[compare.Finding]:
        from app import app

        return compare.all_findings(self.observe(), self.stage, self.shape.functions, app.routes,
                                    stage_environment(), stream_arn, template)

    def report(self, findings: list[compare.Finding]) -> None:
        for finding in findings:
            self.say(f"  [{finding.verdict}] {finding.subject}" + (f": {finding.detail}" if finding.detail else ""))
        bad = [f for f in findings if f.verdict == compare.MISMATCH]
        if bad:
            raise CheckFailed(f"{len(bad)} mismatch(es): {', '.join(f.subject for f in bad)}")

    def functions(self, project: Path) -> dict[str, runtime.Function]:
        """Each deployed function's code (the zip whose SHA-256 it reports), ready to invoke."""
        libraries = runtime.runtime_libraries(self.work / "runtime")
        zips = {runtime.code_sha256(path): path for path in (project / ".chalice" / "deployments").glob("*.zip")}
        started: dict[str, runtime.Function] = {}
        unpacked: dict[str, Path] = {}
        for name, config in self.observe().functions.items():
            sha = config["CodeSha256"]
            if sha not in zips:
                raise CheckFailed(f"{name}: no zip built here has the deployed CodeSha256 {sha}")
            if sha not in unpacked:
                unpacked[sha] = runtime.unpack_read_only(zips[sha], self.work / f"task-{len(unpacked)}")
            env = {**config.get("Environment", {}).get("Variables", {}), **aws_environment(self.endpoint),
                   "AWS_LAMBDA_FUNCTION_NAME": config["FunctionName"], "FUNCTION_ARN": config["FunctionArn"],
                   "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config["MemorySize"]), "LAMBDA_TASK_ROOT": "/var/task",
                   "PATH": "/usr/bin:/bin", "HOME": str(self.work)}
            started[name] = runtime.Function(unpacked[sha], libraries, config["Handler"], env, self.log)
            self.say(f"  {name}: {config['Handler']} from the zip with CodeSha256 {sha[:12]}…, read-only, "
                     f"beside only {', '.join(runtime.RUNTIME_LIBRARIES)}")
        return started


def run(say: Callable[[str], None]) -> None:
    import json

    from deploy.bootstrap import stream_arn
    from deploy.package import package
    from devtools.moto_server import MotoServer

    began = time.monotonic()
    server = MotoServer().start()
    with tempfile.TemporaryDirectory(prefix="deploy-check-") as tmp:
        work = Path(tmp)
        try:
            check = Check(server.url, work, say)
            project = project_copy(work)
            say(f"moto server at {server.url}; project copied to {project}")
            started = time.monotonic()
            make(project, server.url, "deploy")
            say(f"make deploy STAGE={STAGE}: {time.monotonic() - started:.1f} s, "
                f"{len(server.gaps.changes)} changing AWS calls")
            stream = stream_arn(check.aws("cloudformation"), check.stage)
            template = json.loads((package(check.stage, work / "package") / "sam.json").read_text())
            say("1. the stage against app.routes, its settings, the policy file and make package's template:")
            check.report(check.findings(template, stream))
            say("2. the uploaded code, run as Lambda runs it:")
            make(project, server.url, "admin", f"USERNAME={ADMIN[0]}", f"EMAIL={ADMIN[1]}",
                 extra={"ADMIN_PASSWORD": ADMIN[2]})
            functions = check.functions(project)
            try:
                for step in walkthrough(functions[stages.API_HANDLER].invoke, ADMIN[1], ADMIN[2]):
                    say(f"  {step}")
                for line in controls.stream_and_schedule(check, functions, stream):
                    say(f"  {line}")
            finally:
                for function in functions.values():
                    function.close()
            say("3. a second make deploy:")
            for line in controls.redeploy(check, lambda: make(project, server.url, "deploy")):
                say(f"  {line}")
            say("4. negative controls, each on the live stage, each caught:")
            for line in controls.negative(check, template, stream):
                say(f"  {line}")
            say("5. make teardown:")
            make(project, server.url, "teardown", stdin=f"{STAGE}\n")
            for line in controls.nothing_left(check):
                say(f"  {line}")
        finally:
            server.stop()
    say(f"deploy-check passed in {time.monotonic() - began:.0f} s")


def main() -> int:
    try:
        run(print)
    except (CheckFailed, runtime.InvocationError, WalkthroughError, controls.ControlFailed) as error:
        print(f"deploy-check FAILED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
