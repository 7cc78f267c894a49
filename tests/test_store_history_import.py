"""``publisher acceptance import``: acceptances made before this tool, checked whole first,
recorded as method ``import`` with the claimed time beside the import's own, idempotent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import store_support as support
from click.testing import CliRunner, Result

from publisher.cli import main
from publisher.store.db import Database
from publisher.store.history_import import (
    HistoryFileError,
    StoreFacts,
    check_rows,
    import_history,
    parse_history,
)
from publisher.store.ledger import records, verify_chain
from publisher.store.reports import acceptance_report
from publisher.store.status import read_status

NOW = datetime(2026, 1, 1, tzinfo=UTC)

GOOD = """customer,policy,version,accepted_at,source
c1,acceptable-use,1,2023-05-01T09:30:00Z,old signup form
c2,acceptable-use,2,2024-06-01T12:00:00+02:00,paper contract
c1,acceptable-use,2,2024-07-01T08:00:00Z,
"""


def problems(text: str, **kwargs: object) -> list[tuple[int, str]]:
    parsed = parse_history(text, now=NOW, **kwargs)  # type: ignore[arg-type]
    return [(p.line, p.message) for p in parsed.problems]


def test_good_rows_parse_with_their_claimed_time_in_utc() -> None:
    parsed = parse_history(GOOD, default_source="migration", now=NOW)
    assert parsed.problems == ()
    assert [(r.line, r.key, r.claimed_at, r.source) for r in parsed.rows] == [
        (
            2,
            ("c1", "acceptable-use", "1"),
            datetime(2023, 5, 1, 9, 30, tzinfo=UTC),
            "old signup form",
        ),
        (
            3,
            ("c2", "acceptable-use", "2"),
            datetime(2024, 6, 1, 10, 0, tzinfo=UTC),
            "paper contract",
        ),
        (4, ("c1", "acceptable-use", "2"), datetime(2024, 7, 1, 8, 0, tzinfo=UTC), "migration"),
    ]


def test_every_bad_row_is_reported_with_its_line() -> None:
    text = (
        "customer,policy,version,accepted_at,source\n"
        "c1,acceptable-use,1,2023-05-01,form\n"
        "c0,acceptable-use,1,yesterday,form\n"
        "c2,acceptable-use,1,2030-01-01T00:00:00Z,form\n"
        ",acceptable-use,1,2023-05-01T00:00:00Z,form\n"
        "c3,acceptable-use,1,2023-05-01T00:00:00Z,form\n"
        "c3,acceptable-use,1,2023-06-01T00:00:00Z,form\n"
        "c4,acceptable-use,1,2023-05-01T00:00:00Z,\n"
        "c5,acceptable-use\n"
        "c6,acceptable\u202euse,1,2023-05-01T00:00:00Z,form\n"
    )
    found = problems(text)
    assert found[:8] == [
        (2, "accepted_at '2023-05-01' has no UTC offset (add Z or +02:00)"),
        (3, "accepted_at 'yesterday' is not an ISO 8601 time (e.g. 2023-05-01T09:30:00Z)"),
        (4, "accepted_at '2030-01-01T00:00:00Z' is in the future"),
        (5, "missing customer"),
        (7, "duplicate of line 6 (c3 acceptable-use 1)"),
        (8, "missing source (where the acceptance was given; or pass --source)"),
        (9, "expected 5 fields (customer,policy,version,accepted_at,source), found 2"),
        (10, found[7][1]),
    ]
    assert len(found) == 8 and found[7][1].startswith("policy ")


def test_a_bad_header_is_one_problem_on_line_1() -> None:
    assert problems("customer,policy,when\n") == [
        (
            1,
            "missing column(s) version, accepted_at (expected customer,policy,version,accepted_at[,source,acting_user])",
        ),
        (
            1,
            "unknown column(s) 'when' (expected customer,policy,version,accepted_at[,source,acting_user])",
        ),
    ]
    assert problems("")[0][1].startswith("empty file")


def test_rows_are_checked_against_the_store() -> None:
    parsed = parse_history(
        "customer,policy,version,accepted_at,source\n"
        "c1,acceptable-use,1,2023-05-01T00:00:00Z,f\n"
        "zz,acceptable-use,1,2023-05-01T00:00:00Z,f\n"
        "c1,privacy,1,2023-05-01T00:00:00Z,f\n"
        "c1,acceptable-use,9,2023-05-01T00:00:00Z,f\n",
        now=NOW,
    )
    facts = StoreFacts({"c1"}, {("acceptable-use", "1")}, {"acceptable-use"}, set())
    assert [(p.line, p.message) for p in check_rows(parsed.rows, facts)] == [
        (3, "unknown customer 'zz'"),
        (4, "unknown policy 'privacy'"),
        (5, "unknown version '9' of acceptable-use"),
    ]


def test_an_organisations_acting_user_must_be_its_member(
    tmp_path: Path, database: Database
) -> None:
    from publisher.store.customers import customer_row
    from publisher.store.organisations import save_customer

    support.seed(database)
    for values in (
        {"id": "acme", "email": "l@acme.example", "name": "Acme", "kind": "organisation"},
        {"id": "ann", "email": "ann@acme.example", "name": "Ann", "organisation": "acme"},
    ):
        save_customer(database, customer_row(values))
    head = "customer,policy,version,accepted_at,source,acting_user\n"
    bad = write(
        tmp_path,
        head + "c1,acceptable-use,1,2023-01-01T00:00:00Z,f,ann\n"
        "acme,acceptable-use,1,2023-01-01T00:00:00Z,f,ghost\n"
        "acme,acceptable-use,2,2023-01-01T00:00:00Z,f,c2\n",
        "bad.csv",
    )
    with pytest.raises(HistoryFileError) as raised:
        import_history(database, bad)
    assert [(p.line, p.message) for p in raised.value.problems] == [
        (2, "acting_user given but 'c1' is not an organisation"),
        (3, "unknown acting_user 'ghost'"),
        (4, "acting_user 'c2' is not a member of 'acme'"),
    ]
    good = write(tmp_path, head + "acme,acceptable-use,2,2023-01-01T00:00:00Z,f,ann\n")
    assert import_history(database, good).imported == 1
    [record] = records(database, customer_id="acme")
    assert (record.method, record.acting_user) == ("import", "ann")
    assert not read_status(database, "ann", ["acceptable-use"]).policies[0].needs_acceptance


def write(tmp_path: Path, text: str, name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_nothing_is_written_when_one_row_is_bad(tmp_path: Path, database: Database) -> None:
    support.seed(database)
    bad = write(tmp_path, GOOD + "c9,acceptable-use,1,2023-05-01T00:00:00Z,form\n")
    with pytest.raises(HistoryFileError) as raised:
        import_history(database, bad, default_source="x")
    assert f"{bad}:5: unknown customer 'c9'" in str(raised.value)
    assert "1 bad row; nothing was imported" in str(raised.value)
    assert records(database) == []


def test_dry_run_counts_and_writes_nothing(tmp_path: Path, database: Database) -> None:
    support.seed(database)
    summary = import_history(database, write(tmp_path, GOOD), default_source="x", dry_run=True)
    assert (summary.rows, summary.imported, summary.skipped, summary.dry_run) == (3, 3, 0, True)
    assert records(database) == []


def test_import_records_method_import_with_both_times_and_reruns_skip(
    tmp_path: Path, database: Database
) -> None:
    support.seed(database)
    path = write(tmp_path, GOOD)
    done: list[int] = []
    now = datetime(2026, 2, 1, tzinfo=UTC)
    summary = import_history(
        database, path, default_source="migration", progress=done.append, now=lambda: now
    )
    assert (summary.imported, summary.skipped, sum(done)) == (3, 0, 3)
    stored = records(database)
    assert [(r.customer_id, r.version, r.method) for r in stored] == [
        ("c1", "1", "import"),
        ("c2", "2", "import"),
        ("c1", "2", "import"),
    ]
    assert stored[0].accepted_at == now  # the import's own time, in the chain
    assert stored[0].claimed_at == datetime(2023, 5, 1, 9, 30, tzinfo=UTC)
    assert [r.source for r in stored] == ["old signup form", "paper contract", "migration"]
    assert verify_chain(database).ok
    again = import_history(database, path, default_source="migration")
    assert (again.imported, again.skipped) == (0, 3)
    assert len(records(database)) == 3


def test_reports_and_status_use_the_claimed_time(tmp_path: Path, database: Database) -> None:
    support.seed(database)
    import_history(database, write(tmp_path, GOOD), default_source="migration")
    status = read_status(database, "c2", ["acceptable-use"]).policies[0]
    assert status.accepted is not None and not status.needs_acceptance
    assert status.accepted.accepted_at == datetime(2024, 6, 1, 10, 0, tzinfo=UTC)
    assert status.accepted.method == "import"
    report = acceptance_report(database, policy="acceptable-use", version="2")
    c2 = next(c for c in report.versions[0].customers if c.id == "c2")
    assert (c2.status, c2.accepted_at) == ("accepted", datetime(2024, 6, 1, 10, 0, tzinfo=UTC))


def test_an_imported_old_version_does_not_refuse_itself_after_a_newer(
    tmp_path: Path, database: Database
) -> None:
    from publisher.store.ledger import record_acceptance

    support.seed(database)
    record_acceptance(
        database, customer_id="c3", policy="acceptable-use", version="2", method="link"
    )
    older = (
        "customer,policy,version,accepted_at,source\nc3,acceptable-use,1,2023-01-01T00:00:00Z,f\n"
    )
    assert import_history(database, write(tmp_path, older)).imported == 1
    assert not read_status(database, "c3", ["acceptable-use"]).policies[0].needs_acceptance


# -- the command ---------------------------------------------------------------------------------


def cli(repo: Path, url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["-C", str(repo), *args, "--database-url", url])


def test_the_import_command(tmp_path: Path, database_url: str) -> None:
    repo = support.make_policy_repo(tmp_path / "repo")
    db = support.synced_store(repo, database_url)
    db.dispose()
    path = write(tmp_path, GOOD)
    missing = cli(repo, database_url, "acceptance", "import", str(path))
    assert missing.exit_code != 0 and f"{path}:4: missing source" in missing.stderr
    assert "Traceback" not in missing.output
    as_json = cli(repo, database_url, "acceptance", "import", str(path), "--format", "json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout) == {
        "file": str(path),
        "imported": False,
        "invalid": [
            {
                "line": 4,
                "message": "missing source (where the acceptance was given; or pass --source)",
            }
        ],
    }
    dry = cli(repo, database_url, "acceptance", "import", str(path), "--source", "m", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout == f"{path}: 3 rows; would record 3 acceptances, 0 already in the ledger\n"
    done = cli(repo, database_url, "acceptance", "import", str(path), "--source", "m")
    assert done.stdout == f"{path}: 3 rows; recorded 3 acceptances, 0 already in the ledger\n"
    assert "importing" in done.stderr  # the progress bar (a label only when not a terminal)
    again = cli(
        repo, database_url, "acceptance", "import", str(path), "--source", "m", "--format", "json"
    )
    assert json.loads(again.stdout) == {
        "file": str(path),
        "dry_run": False,
        "rows": 3,
        "imported": 0,
        "skipped": 3,
        "first_record": None,
        "last_record": None,
    }


BAD = (
    "customer,policy,version,accepted_at,source\n"
    "c1,acceptable-use,1,2023-05-01,form\n"
    "c2,acceptable-use\n"
    "c3,acceptable-use,1,2023-05-01T00:00:00Z,form\n"
    "c3,acceptable-use,1,2023-06-01T00:00:00Z,form\n"
)
BAD_LINES = (
    "bad.csv:2: accepted_at '2023-05-01' has no UTC offset",
    "bad.csv:3: expected 5 fields",
    "bad.csv:5: duplicate of line 4",
)


def test_a_bad_file_makes_no_database_and_a_good_file_after_it_imports(tmp_path: Path) -> None:
    repo = support.make_policy_repo(tmp_path / "repo")
    store = tmp_path / "new.db"
    url = f"sqlite:///{store}"
    bad = write(tmp_path, BAD, "bad.csv")
    for extra in ((), ("--dry-run",), ("--format", "json")):
        result = cli(repo, url, "acceptance", "import", str(bad), *extra)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        if not extra or extra == ("--dry-run",):
            for line in BAD_LINES:
                assert str(tmp_path / line) in result.stderr
            assert "3 bad rows; nothing was imported" in result.stderr
        assert not store.exists()
    as_json = cli(repo, url, "acceptance", "import", str(bad), "--format", "json")
    assert [p["line"] for p in json.loads(as_json.stdout)["invalid"]] == [2, 3, 5]
    good = write(tmp_path, GOOD, "good.csv")
    no_store = cli(repo, url, "acceptance", "import", str(good), "--source", "m")
    assert no_store.exit_code != 0 and f"no database at {store}" in no_store.stderr
    assert not store.exists()  # a good file does not make one either: no customers in it
    support.synced_store(repo, url).dispose()
    done = cli(repo, url, "acceptance", "import", str(good), "--source", "m")
    assert done.exit_code == 0, done.output
    assert done.stdout == f"{good}: 3 rows; recorded 3 acceptances, 0 already in the ledger\n"


def test_a_bad_file_writes_nothing_to_a_store_then_a_good_file_imports(
    tmp_path: Path, database_url: str
) -> None:
    repo = support.make_policy_repo(tmp_path / "repo")
    support.synced_store(repo, database_url).dispose()
    unknown = write(
        tmp_path, BAD + "zz,acceptable-use,1,2023-05-01T00:00:00Z,form\n" + GOOD[GOOD.index("\n") :]
    )
    result = cli(repo, database_url, "acceptance", "import", str(unknown), "--source", "m")
    assert result.exit_code == 2, result.output
    assert f"{unknown}:6: unknown customer 'zz'" in result.stderr  # beside the file's own
    assert f"{unknown}:2: accepted_at" in result.stderr
    assert "5 bad rows; nothing was imported" in result.stderr
    with Database.from_url(database_url) as database:
        assert records(database) == []
    good = write(tmp_path, GOOD, "good.csv")
    done = cli(repo, database_url, "acceptance", "import", str(good), "--source", "m")
    assert done.exit_code == 0, done.output
    with Database.from_url(database_url) as database:
        assert [(r.customer_id, r.version) for r in records(database)] == [
            ("c1", "1"),
            ("c2", "2"),
            ("c1", "2"),
        ]
        assert verify_chain(database).ok
