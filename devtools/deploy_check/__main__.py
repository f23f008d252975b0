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

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from deploy import stages
from devtools.deploy_check import controls, runtime
from devtools.deploy_check.check import ADMIN, STAGE, Check, CheckFailed, make, project_copy
from devtools.deploy_check.walkthrough import WalkthroughError, walkthrough


def run(say: Callable[[str], None]) -> None:
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
            except (WalkthroughError, runtime.InvocationError, controls.ControlFailed):
                for name, function in functions.items():
                    say(f"{name}'s last log lines:\n" + "\n".join(function.log.read_text().splitlines()[-10:]))
                raise
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
