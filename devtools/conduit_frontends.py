"""Builds public Conduit (RealWorld) frontends for tests/browser/test_conduit_frontend.py.

No Conduit frontend is published on the npm registry, so each is built from a checkout of its public
repository at a pinned commit, which the person running this provides (the machines reach no git
host). The app's code is used as it is; only its build's dependencies are installed here, from the
npm registry at the versions its own lockfile pins (without install scripts: nothing downloads a
browser or a binary). What the build makes goes to .tools/conduit-frontends/NAME/ (or under
CONDUIT_FRONTENDS), with a
conduit.json naming the API origin the frontend calls, as the test reads it.

    python -m devtools.conduit_frontends vue3 PATH/TO/vue3-realworld-example-app
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
FRONTENDS = Path(os.environ.get("CONDUIT_FRONTENDS", PROJECT / ".tools" / "conduit-frontends"))


@dataclass(frozen=True)
class Recipe:
    repository: str
    commit: str
    api: str  # the API origin its code calls
    build: list[str]
    output: str  # where its build puts the site, in the checkout
    packages: dict[str, str] | None = None  # the build's own packages, when its lockfile is not npm's


RECIPES = {
    "vue3": Recipe(
        "mutoe/vue3-realworld-example-app", "6dbfbe9d03df96e7c264ea55674529550a2664cc", "https://api.realworld.io",
        ["node_modules/.bin/vite", "build", "--logLevel", "warn"], "dist",
        # its lockfile is pnpm's: these are the versions it pins, for what the build needs
        {"insane": "2.6.2", "marked": "14.0.0", "pinia": "2.2.1", "vue": "3.4.37", "vue-router": "4.4.3",
         "vite": "5.4.0", "@vitejs/plugin-vue": "5.1.2", "rollup-plugin-analyzer": "4.0.0"}),
    "angular": Recipe(
        "gothinkster/angular-realworld-example-app", "987b6346f2476bbc4be0845917df1699ddf014b4",
        "https://api.realworld.show",
        # the production configuration inlines Google's fonts, fetched at build time: no internet here
        ["node_modules/.bin/ng", "build", "--configuration", "development"], "dist/angular-conduit/browser"),
}


def _commit(checkout: Path) -> str | None:
    found = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else None


def build(name: str, checkout: Path) -> Path:
    recipe = RECIPES[name]
    commit = _commit(checkout)
    if commit not in (None, recipe.commit):
        raise SystemExit(f"{checkout} is at {commit}; {name} is tested at {recipe.repository}@{recipe.commit}")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / name
        shutil.copytree(checkout, work, ignore=shutil.ignore_patterns(".git", "node_modules", "dist"))
        npm = ["npm", "--prefix", str(work), "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
        if recipe.packages:
            (work / "package-lock.json").unlink(missing_ok=True)
            manifest = json.loads((work / "package.json").read_text(encoding="utf-8"))
            manifest.update(dependencies=recipe.packages, devDependencies={}, scripts={})
            (work / "package.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            subprocess.run([*npm, "install"], check=True)
        else:
            subprocess.run([*npm, "ci"], check=True)
        subprocess.run(recipe.build, cwd=work, check=True)
        target = FRONTENDS / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(work / recipe.output, target)
    (target / "conduit.json").write_text(json.dumps(
        {"api": recipe.api, "repository": recipe.repository, "commit": recipe.commit}, indent=1) + "\n")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=sorted(RECIPES))
    parser.add_argument("checkout", type=Path, help="a checkout of the frontend's repository at its pinned commit")
    arguments = parser.parse_args()
    print(build(arguments.name, arguments.checkout))


if __name__ == "__main__":
    main()
