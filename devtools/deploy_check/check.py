"""The deploy check's setting: a copy of the project, `make` in it against the moto server, and the stage."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy import gateway, stages
from deploy.stages import PROJECT, Stage
from devtools.deploy_check import compare, runtime

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

    def aws(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint)  # type: ignore[call-overload]

    def observe(self) -> compare.Live:
        return compare.observe(self.aws, self.stage, self.shape.functions)

    def findings(self, template: dict[str, Any], stream_arn: str) -> list[compare.Finding]:
        from app import app

        return compare.all_findings(self.observe(), self.stage, self.shape.functions, app.routes,
                                    gateway.stage_environment(self.stage), stream_arn, template)

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
            started[name] = runtime.Function(unpacked[sha], libraries, config["Handler"], env,
                                             self.work / f"{name}.log")
            if name == stages.API_HANDLER:
                for line in runtime.probe_sign_in_libraries(unpacked[sha], libraries, dict(env)):
                    self.say(f"  {line}")
            self.say(f"  {name}: {config['Handler']} from the zip with CodeSha256 {sha[:12]}…, read-only, "
                     f"beside only {', '.join(runtime.RUNTIME_LIBRARIES)}")
        return started
