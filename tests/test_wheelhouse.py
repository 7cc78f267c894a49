"""The test wheelhouse (tests/wheelhouse.py): the right distributions, repacked as wheels pip
accepts (every file in RECORD with its hash, no bytecode, console scripts left to pip)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from wheelhouse import _wheel_tag, offline_pip_env, repack, runtime_closure


def test_the_closure_is_what_pip_install_dot_needs() -> None:
    names = {d.metadata["Name"].lower().replace("_", "-") for d in runtime_closure()}
    assert {"mistune", "click", "sqlalchemy", "weasyprint"} <= names
    assert "httptools" in names  # from uvicorn[standard]: extras are followed
    assert "psycopg-binary" in names  # from psycopg[binary]
    assert "pytest" not in names and "ruff" not in names  # the test extras are not
    assert "policy-publisher" not in names  # built from the source tree by the test


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ("Tag: py3-none-any\n", "py3-none-any"),
        ("Tag: py2-none-any\nTag: py3-none-any\n", "py2.py3-none-any"),
        (
            "Tag: cp311-cp311-manylinux_2_17_x86_64\nTag: cp311-cp311-manylinux2014_x86_64\n",
            "cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64",
        ),
    ],
)
def test_wheel_tags_are_compressed(tags: str, expected: str) -> None:
    assert _wheel_tag("Wheel-Version: 1.0\n" + tags) == expected


def test_a_wheel_without_a_tag_is_refused() -> None:
    with pytest.raises(ValueError, match="no Tag"):
        _wheel_tag("Wheel-Version: 1.0\n")


def test_a_repacked_wheel_records_every_file_with_its_hash(tmp_path: Path) -> None:
    dist = metadata.distribution("charset-normalizer")  # has a console script: normalizer
    wheel = repack(dist, tmp_path)
    assert wheel.name.startswith(f"charset_normalizer-{dist.version}-")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        record_name = next(n for n in names if n.endswith(".dist-info/RECORD"))
        rows = list(csv.reader(io.StringIO(archive.read(record_name).decode())))
        assert {row[0] for row in rows} == names
        for name, digest, size in rows:
            if name == record_name:
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == f"sha256={expected.decode()}" and int(size) == len(data)
    assert not [n for n in names if n.endswith(".pyc")]
    assert not [n for n in names if n.endswith(("/INSTALLER", "/direct_url.json"))]
    assert not [n for n in names if ".data/scripts/" in n]  # pip writes `normalizer` again
    assert any(n.startswith("charset_normalizer/") and n.endswith(".py") for n in names)


def test_pip_is_told_to_use_the_wheelhouse_only(tmp_path: Path) -> None:
    env = offline_pip_env(tmp_path)
    assert env["PIP_NO_INDEX"] == "1" and env["PIP_FIND_LINKS"] == str(tmp_path)
