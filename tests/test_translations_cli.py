"""Translations through the CLI: ``publisher translations``, ``diff/log/show --lang`` and the
languages ``list`` shows; bad input (an unknown language) is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gitrepo import GitRepo

from publisher.cli import main

V1 = (
    '---\nversion: "1"\neffective: 2024-01-10\n---\n# Privacy\n\n1. We keep little.\n'
    "2. We delete it after a year.\n"
)
V2 = (
    '---\nversion: "2"\neffective: 2024-03-01\n---\n# Privacy\n\n1. We keep little.\n'
    "2. We delete it after a month.\n"
)
DE1 = "# Datenschutz\n\n1. Wir speichern wenig.\n2. Wir löschen es nach einem Jahr.\n"
DE2 = "# Datenschutz\n\n1. Wir speichern sehr wenig.\n2. Wir löschen es nach einem Jahr.\n"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/en/privacy.md", V1)
    repo.write("policies/de/privacy.md", DE1)
    repo.write("policies/en/terms.md", "# Terms\n\n1. Be kind.\n")
    repo.commit("Privacy 1 in English and German", date="2024-01-10")
    repo.write("policies/de/privacy.md", DE2)
    repo.commit("German wording", date="2024-01-20")
    repo.write("policies/en/privacy.md", V2)
    repo.commit("Privacy 2", date="2024-02-01")
    return repo


def run(repo: GitRepo, *args: str) -> Result:
    return CliRunner().invoke(main, ["-C", str(repo.path), *args])


def test_translations_lists_lag_with_clauses(repo: GitRepo) -> None:
    result = run(repo, "translations", "--today", "2024-03-05", "--format", "json")
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)["translations"]
    assert (entry["slug"], entry["language"], entry["path"]) == (
        "privacy",
        "de",
        "policies/de/privacy.md",
    )
    assert (entry["renders"], entry["inferred"], entry["behind"], entry["severity"]) == (
        "1",
        True,
        1,
        "error",
    )
    assert entry["source"] == {"path": "policies/en/privacy.md", "language": "en", "current": "2"}
    assert [(c["id"], c["kind"], c["translation"]) for c in entry["clauses"]] == [
        ("2", "modified", {"id": "2", "line": 4})
    ]
    text = run(repo, "translations", "privacy", "--today", "2024-02-15")
    assert text.exit_code == 0, text.output
    row = text.stdout.splitlines()[1].split()
    assert row[:7] == ["privacy", "de", "2024-01-20", "1*", "1", "warning", "2"]


def test_list_shows_languages_per_policy(repo: GitRepo) -> None:
    result = run(repo, "list", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {p["slug"]: p for p in json.loads(result.stdout)["policies"]}
    assert set(rows) == {"privacy", "terms"}
    assert rows["privacy"]["languages"] == ["en", "de"]
    assert rows["terms"]["languages"] == ["en"]
    assert "en,de" in run(repo, "list").stdout


def test_log_show_and_diff_read_the_translation(repo: GitRepo) -> None:
    logged = run(repo, "log", "privacy", "--lang", "de", "--format", "json")
    assert logged.exit_code == 0, logged.output
    data = json.loads(logged.stdout)
    assert (data["path"], data["language"]) == ("policies/de/privacy.md", "de")
    assert [v["label"] for v in data["versions"]] == ["2024-01-10", "2024-01-20"]
    shown = run(repo, "show", "privacy", "--lang", "de", "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["title"] == "Datenschutz"
    diffed = run(repo, "diff", "privacy", "--lang", "de", "--format", "json")
    assert diffed.exit_code == 0, diffed.output
    [change] = json.loads(diffed.stdout)["changes"]
    assert change["new"]["text"] == "Wir speichern sehr wenig."


def test_an_unknown_language_is_one_line_and_exit_2(repo: GitRepo) -> None:
    result = run(repo, "log", "privacy", "--lang", "fr")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: privacy has no 'fr' translation",
        "  hint: languages of privacy: en, de",
    ]
    assert "Traceback" not in result.output
    as_json = run(repo, "translations", "nope", "--format", "json")
    assert as_json.exit_code == 2 and json.loads(as_json.stderr)["error"]["message"]


def test_the_demo_shows_each_translation_and_its_lag(repo: GitRepo) -> None:
    result = run(repo, "demo", "--format", "json")
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)["translations"]
    assert (entry["language"], entry["renders"], entry["behind"]) == ("de", "1", 1)
    text = run(repo, "demo")
    assert (
        "privacy [de] policies/de/privacy.md: renders 1 (inferred) of 2; 1 version "
        "behind; clauses to revisit: 2"
    ) in text.stdout


def test_an_unknown_policy_names_each_known_slug_once(repo: GitRepo) -> None:
    result = run(repo, "log", "nope")
    assert result.exit_code == 2
    assert "  hint: known policies: privacy, terms" in result.stderr.splitlines()
