"""A wheelhouse made from the distributions installed in the running environment, so that a
test which installs this project into a fresh virtual environment (the README's Quickstart,
pre-commit's hook environment) resolves offline and fast: point pip at it with
:func:`offline_pip_env` (``PIP_NO_INDEX`` and ``PIP_FIND_LINKS``). The install itself stays
real: pip resolves the project's requirements, builds the project from its source tree and
installs every wheel; only the downloads are gone.

Each installed distribution is packed back into a wheel from the files its ``RECORD`` lists
(bytecode left out, console scripts left for pip to write again); the build requirements of
``pyproject.toml`` that the environment does not hold (setuptools, wheel) are fetched once
with ``pip download``. Tests take the session fixture ``wheelhouse`` (conftest.py), which
builds it once per run, shared by the xdist workers.
"""

from __future__ import annotations

import base64
import csv
import fcntl
import hashlib
import io
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {"policy-publisher"}
"""Distributions left out: the project itself is built from its source tree by the test."""
DIST_INFO_LEFT_OUT = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def offline_pip_env(wheelhouse: Path) -> dict[str, str]:
    """The variables that make pip (and the pip inside build isolation) install from
    ``wheelhouse`` only."""
    return {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def _wheel_tag(wheel_file: str) -> str:
    """``py3-none-any`` from a ``WHEEL`` file's ``Tag:`` lines (several tags compressed)."""
    tags = [
        line.split(":", 1)[1].strip() for line in wheel_file.splitlines() if line.startswith("Tag:")
    ]
    if not tags:
        raise ValueError("WHEEL has no Tag line")
    parts = [sorted({tag.split("-")[i] for tag in tags}) for i in range(3)]
    return "-".join(".".join(part) for part in parts)


def _scripts(dist: metadata.Distribution) -> set[str]:
    return {ep.name for ep in dist.entry_points if ep.group in ("console_scripts", "gui_scripts")}


def repack(dist: metadata.Distribution, into: Path) -> Path:
    """Write ``dist`` (an installed distribution) back as a wheel in ``into``."""
    info = Path(str(dist._path))  # type: ignore[attr-defined]
    site = info.parent
    wheel_file = (info / "WHEEL").read_text(encoding="utf-8")
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    version = dist.version
    data_dir = f"{name}-{version}.data"
    generated = _scripts(dist)
    target = into / f"{name}-{version}-{_wheel_tag(wheel_file)}.whl"
    rows: list[tuple[str, str, str]] = []
    partial = target.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as wheel:
        record_name = ""
        for path, *_rest in csv.reader(io.StringIO((info / "RECORD").read_text("utf-8"))):
            source = (site / path).resolve()
            if path.endswith(".pyc") or "__pycache__" in path.split("/"):
                continue
            if Path(path).parent == Path(info.name) and Path(path).name in DIST_INFO_LEFT_OUT:
                record_name = record_name or f"{info.name}/RECORD"
                continue
            if path.startswith("../"):
                prefix = Path(sys.prefix).resolve()
                if not source.is_relative_to(prefix):
                    continue
                inside = source.relative_to(prefix).as_posix()
                if inside.startswith("bin/"):
                    if Path(inside).name in generated:
                        continue  # pip writes console scripts itself
                    arcname = f"{data_dir}/scripts/{Path(inside).name}"
                else:
                    arcname = f"{data_dir}/data/{inside}"
            else:
                arcname = path
            if not source.is_file():
                continue
            data = source.read_bytes()
            if arcname.startswith(f"{data_dir}/scripts/") and data.startswith(b"#!"):
                data = b"#!python" + data[data.index(b"\n") :]
            wheel.writestr(arcname, data)
            rows.append((arcname, _record_hash(data), str(len(data))))
        record = io.StringIO()
        writer = csv.writer(record, lineterminator="\n")
        writer.writerows(rows)
        writer.writerow((record_name or f"{info.name}/RECORD", "", ""))
        wheel.writestr(record_name or f"{info.name}/RECORD", record.getvalue())
    partial.replace(target)
    return target


def _build_requirements() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(pyproject["build-system"]["requires"])


def _installed(requirement: str) -> bool:
    wanted = Requirement(requirement)
    try:
        return wanted.specifier.contains(metadata.version(wanted.name), prereleases=True)
    except metadata.PackageNotFoundError:
        return False


def runtime_closure(project: str = "policy-publisher") -> list[metadata.Distribution]:
    """The installed distributions ``pip install .`` of ``project`` needs: its requirements
    (without extras of its own) and theirs, extras included, markers evaluated here."""
    found: dict[str, metadata.Distribution] = {}
    todo: list[tuple[str, frozenset[str]]] = [(project, frozenset())]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (_normal(name), extras) in done:
            continue
        done.add((_normal(name), extras))
        dist = metadata.distribution(name)
        if _normal(name) not in SKIPPED:
            found[_normal(name)] = dist
        for line in dist.requires or []:
            requirement = Requirement(line)
            environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if requirement.marker and not any(
                requirement.marker.evaluate(env) for env in environments
            ):
                continue
            todo.append((requirement.name, frozenset(requirement.extras)))
    return list(found.values())


def build_wheelhouse(into: Path) -> Path:
    """Fill ``into`` with a wheel of every installed distribution this project needs at run
    time and of the build requirements; returns ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    for dist in runtime_closure():
        repack(dist, into)
    missing = [r for r in _build_requirements() if not _installed(r)]
    if missing:
        fetched = into.parent / f"{into.name}.build"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--only-binary",
                ":all:",
                "--dest",
                str(fetched),
                *missing,
            ],
            check=True,
            timeout=600,
        )
        for wheel in fetched.iterdir():
            if not (into / wheel.name).exists():
                wheel.replace(into / wheel.name)
    return into


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_wheelhouse(shared_dir: Path) -> Path:
    """The wheelhouse under ``shared_dir`` (the run's temp root, common to xdist workers),
    built by whichever worker asks first."""
    house = shared_dir / "wheelhouse"
    done = shared_dir / "wheelhouse.done"
    with _locked(shared_dir / "wheelhouse.lock"):
        if not done.exists():
            build_wheelhouse(house)
            done.write_text(str(os.getpid()))
    return house
