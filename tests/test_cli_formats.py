"""--format json on `demo`, `hooks install` and `acceptance evidence --out`."""

from __future__ import annotations

import json
from pathlib import Path

import store_support as support
from click.testing import CliRunner, Result
from gitrepo import GitRepo

from publisher.cli import main
from publisher.store.db import Database
from publisher.store.ledger import record_acceptance

TERMS = """---
title: Terms
slug: terms
version: "1"
effective: 2024-02-01
---
# Terms

1. Be kind.
2. Pay on time.
"""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="publisher")


def test_demo_json_is_one_document_with_every_step(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/terms.md", TERMS)
    repo.commit("Terms v1", date="2024-01-10")
    repo.write(
        "policies/terms.md",
        TERMS.replace('"1"', '"2"')
        .replace("on time", "in 30 days")
        .replace("2024-02-01", "2024-06-01"),
    )
    repo.commit("Terms v2", date="2024-03-01")
    result = invoke("-C", str(repo.path), "demo", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [p["slug"] for p in document["policies"]] == ["terms"]
    assert document["lint"]["summary"] == "0 findings in 1 policy", document["lint"]
    [diff] = document["diffs"]
    assert (diff["policy"], diff["old"]["version"], diff["new"]["version"]) == ("terms", "1", "2")
    assert diff["changes"] and diff["summary"]["material"] >= 1
    assert document["site"]["policies"] == 1
    assert Path(document["site"]["index"]).is_file()
    assert document["dry_run"] and all(isinstance(line, str) for line in document["dry_run"])


def test_demo_text_keeps_its_steps(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/terms.md", TERMS)
    repo.commit("Terms v1", date="2024-01-10")
    result = invoke("-C", str(repo.path), "demo")
    assert result.exit_code == 0, result.output
    assert "== 1 policy in " in result.stdout and "0 findings in 1 policy" in result.stdout
    assert "1 policy, 1 version, 0 redlines:" in result.stdout


def test_hooks_install_json(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("terms.md", TERMS)
    repo.commit("Terms v1", date="2024-01-10")
    result = invoke(
        "-C", str(repo.path), "--policies", "*.md", "hooks", "install", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["hooks"] == ["pre-commit", "commit-msg"]
    assert document["settings"] == {"policies": {"value": "*.md", "source": "flag"}}
    assert "diff.policy.command" in document["config"]
    assert document["not_written"] == []


def test_hooks_install_error_is_json(tmp_path: Path) -> None:
    result = invoke("-C", str(tmp_path), "hooks", "install", "--format", "json")
    assert result.exit_code == 2 and result.stdout == ""
    assert "not a git repository" in json.loads(result.stderr)["error"]["message"]


def test_evidence_out_json_names_every_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    database = Database.from_url(url, root=tmp_path, create=True)
    try:
        from publisher.store import migrate

        migrate.upgrade(database, "head")
        support.seed(database)
        record_acceptance(
            database, customer_id="c1", policy="acceptable-use", version="2", method="link"
        )
    finally:
        database.dispose()
    out = tmp_path / "evidence"
    result = invoke(
        "-C",
        str(tmp_path),
        "acceptance",
        "evidence",
        "c1",
        "--out",
        str(out),
        "--database-url",
        url,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["customer"], document["acceptances"], document["notices"]) == ("c1", 1, 0)
    assert document["files"] == [
        "README.txt",
        "SHA256SUMS",
        "evidence.json",
        "texts/acceptable-use/2.md",
    ]
    assert all((out / name).is_file() for name in document["files"])


def test_evidence_of_an_unknown_customer_is_a_json_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert invoke("-C", str(tmp_path), "db", "upgrade", "--database-url", url).exit_code == 0
    result = invoke(
        "-C",
        str(tmp_path),
        "acceptance",
        "evidence",
        "zz",
        "--database-url",
        url,
        "--format",
        "json",
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert json.loads(result.stderr)["error"]["message"] == "unknown customer 'zz'"
