"""`publisher web` when it cannot listen: one line with a hint, nothing started or written."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from publisher.cli import main


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another server is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def web(tmp_path: Path, *args: str) -> Result:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    return CliRunner().invoke(
        main,
        ["-C", str(tmp_path), "web", "--no-sync", "--database-url", url, *args],
        prog_name="publisher",
    )


def test_a_port_in_use_is_one_line_with_a_hint(tmp_path: Path, busy_port: int) -> None:
    result = web(tmp_path, "--port", str(busy_port))
    assert result.exit_code == 2, result.output
    first, hint = result.stderr.strip().splitlines()
    assert first == f"error: cannot listen on 127.0.0.1:{busy_port}: the port is in use"
    assert "--port" in hint and "hint:" in hint
    assert "acceptance service on" not in result.output and "Traceback" not in result.output
    assert not (tmp_path / "store.db").exists()  # nothing half done


def test_an_address_that_is_not_ours_is_one_line(tmp_path: Path) -> None:
    result = web(tmp_path, "--host", "192.0.2.1", "--port", "8000")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot listen on 192.0.2.1:8000: ")
    assert "--host" in result.stderr
