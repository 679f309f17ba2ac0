"""What production installs: requirements.txt and everything it requires, as the installed
packages' metadata says (importlib.metadata). The dev venv holds more (pyarrow and
google-cloud-bigquery-storage for the BigQuery emulator, rich, opentelemetry's
instrumentations ...), and libraries import some of them when they find them: a probe that
measures a function as deployed hides the rest (`hide_others`)."""

from __future__ import annotations

import functools
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.txt"


def installed_by(requirements: Path = REQUIREMENTS) -> set[str]:
    """The distributions (canonical names) `requirements` installs, its requirements'
    requirements and their extras included."""
    lines = (line.split("#")[0].strip() for line in requirements.read_text().splitlines())
    todo = [Requirement(line) for line in lines if line and not line.startswith("-")]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        req = todo.pop()
        key = (canonicalize_name(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            requires = metadata.distribution(req.name).requires or []
        except metadata.PackageNotFoundError:  # another platform's or Python's
            continue
        extras = [{"extra": ""}] + [{"extra": e} for e in req.extras]
        for dep in map(Requirement, requires):
            if dep.marker is None or any(dep.marker.evaluate(e) for e in extras):
                todo.append(dep)
    return {name for name, _ in seen}


def _modules(dist: metadata.Distribution) -> set[str]:
    """The importable modules a distribution's files make (its RECORD)."""
    found = set()
    for file in dist.files or []:
        parts = file.parts
        if parts[0] == ".." or file.suffix not in (".py", ".so") or "__pycache__" in parts:
            continue
        if any(p.endswith((".dist-info", ".data")) for p in parts):
            continue
        name = parts[:-1] if parts[-1] == "__init__.py" else (*parts[:-1], parts[-1].split(".")[0])
        found.add(".".join(name))
    return found


@functools.cache
def others() -> tuple[str, ...]:
    """The outermost modules that only distributions production does not install provide
    (`pyarrow`, `google.cloud.bigquery_storage`; never a namespace such as `google`)."""
    production = installed_by()
    ours: set[str] = set()
    theirs: set[str] = set()
    for dist in metadata.distributions():
        wanted = canonicalize_name(dist.metadata["Name"]) in production
        (ours if wanted else theirs).update(_modules(dist))
    only = theirs - ours
    return tuple(sorted(m for m in only if not _parents(m) & only))


def _parents(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


# Run first in a probe: the finder of modules on sys.path then finds no hidden module, as in
# production (`import` raises ModuleNotFoundError, `importlib.util.find_spec` answers None, as
# libraries that use a package only when it is there ask). No import of its own.
HIDE = """
import sys
def _hide(hidden):
    finder = next(f for f in sys.meta_path if getattr(f, "__name__", "") == "PathFinder")
    find = finder.find_spec
    def find_spec(cls, name, path=None, target=None):
        parts = name.split(".")
        if any(".".join(parts[:i]) in hidden for i in range(1, len(parts) + 1)):
            return None
        return find(name, path, target)
    finder.find_spec = classmethod(find_spec)
_hide(frozenset({hidden!r}))
"""


def hide_others() -> str:
    """Python code that hides `others()` from the process that runs it."""
    return HIDE.format(hidden=others())
