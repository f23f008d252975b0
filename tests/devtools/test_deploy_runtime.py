"""devtools/deploy_check/runtime.py: a zip runs as Lambda would run it, with nothing of this machine's beside it."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.deploy_check import runtime

PROBE = '''
import importlib.util, os, sys

def handler(event, context):
    try:
        with open(os.path.join(os.path.dirname(__file__), "written.txt"), "w") as out:
            out.write("x")
        wrote = "wrote"
    except OSError as error:
        wrote = type(error).__name__
    return {
        "found": {name: importlib.util.find_spec(name) is not None for name in event["modules"]},
        "wrote": wrote,
        "environment": sorted(os.environ),
        "function": context.function_name,
        "echo": event.get("echo"),
    }

def fails(event, context):
    raise ValueError("refused on purpose")
'''


@pytest.fixture
def probe(tmp_path: Path) -> Iterator[runtime.Function]:
    archive = tmp_path / "code.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("probe.py", PROBE)
    task = runtime.unpack_read_only(archive, tmp_path / "task")
    function = runtime.Function(task, runtime.runtime_libraries(tmp_path / "runtime"), "probe.handler",
                                {"AWS_LAMBDA_FUNCTION_NAME": "probe", "TABLE_NAME": "t"}, tmp_path / "probe.log")
    yield function
    function.close()


def test_only_the_runtimes_libraries_are_importable(probe: runtime.Function) -> None:
    found = probe.invoke({"modules": ["boto3", "botocore", "json", "chalice", "moto", "nh3", "pytest"]})["found"]
    assert found == {"boto3": True, "botocore": True, "json": True,
                     "chalice": False, "moto": False, "nh3": False, "pytest": False}


def test_the_code_cannot_write_beside_itself(probe: runtime.Function) -> None:
    assert probe.invoke({"modules": []})["wrote"] == "PermissionError"


def test_the_environment_is_the_functions_and_nothing_else(probe: runtime.Function) -> None:
    answer = probe.invoke({"modules": [], "echo": "é\u2028"})
    assert answer["function"] == "probe" and answer["echo"] == "é\u2028"
    assert set(answer["environment"]) <= {"AWS_LAMBDA_FUNCTION_NAME", "TABLE_NAME", "LC_CTYPE"}


def test_a_handler_that_raises_is_reported_and_the_process_keeps_serving(tmp_path: Path) -> None:
    archive = tmp_path / "code.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("probe.py", PROBE)
    task = runtime.unpack_read_only(archive, tmp_path / "task")
    function = runtime.Function(task, runtime.runtime_libraries(tmp_path / "runtime"), "probe.fails",
                                {"AWS_LAMBDA_FUNCTION_NAME": "probe"}, tmp_path / "fails.log")
    try:
        for _ in range(2):
            with pytest.raises(runtime.InvocationError, match="ValueError: refused on purpose"):
                function.invoke({})
    finally:
        function.close()


def test_the_zips_checksum_is_lambdas_code_sha256(tmp_path: Path) -> None:
    archive = tmp_path / "empty.zip"
    archive.write_bytes(b"")
    assert runtime.code_sha256(archive) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="  # SHA-256 of nothing
