"""The store's commands end to end on a real git repository: db, customers, acceptance, audit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import store_support as support
from click.testing import CliRunner, Result
from sqlalchemy import text

from publisher.cli import main
from publisher.config import load_settings
from publisher.errors import PolicyError
from publisher.links import LinkClaims, signer_for
from publisher.store import migrate
from publisher.store.db import Database
from publisher.store.ledger import record_acceptance
from publisher.store.versions import stored_versions, sync_versions

POLICY = "acceptable-use"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return support.make_policy_repo(tmp_path / "repo")


def run(repo: Path, url: str, *args: str) -> Result:
    command = [*args, "--database-url", url] if args[0] != "db" or args[1] != "history" else args
    return CliRunner().invoke(main, ["-C", str(repo), *command])


def test_db_commands(repo: Path, database_url: str) -> None:
    up = run(repo, database_url, "db", "upgrade")
    assert up.exit_code == 0 and f"empty -> {migrate.head_revision()}" in up.stdout
    assert "already at revision" in run(repo, database_url, "db", "upgrade").stdout
    down = run(repo, database_url, "db", "downgrade", "--yes")
    assert down.exit_code == 0 and f"-> {migrate.revisions()[-2].id}" in down.stdout
    behind = run(repo, database_url, "customers", "list")
    assert behind.exit_code == 2 and "run `publisher db upgrade`" in behind.stderr
    assert "behind" in run(repo, database_url, "db", "current").stdout
    run(repo, database_url, "db", "downgrade", "--to", "base", "--yes")
    history = run(repo, database_url, "db", "history")
    assert history.stdout.splitlines()[0].startswith("0001_initial  Create the acceptance store")


def test_wrong_database_url_is_one_line(repo: Path) -> None:
    result = run(repo, "postgresql+psycopg://nobody@127.0.0.1:1/none", "audit", "verify")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot connect to postgresql+psycopg://nobody@")
    assert "Traceback" not in result.output


def test_sync_link_and_report(repo: Path, database_url: str) -> None:
    sync = run(repo, database_url, "db", "sync")
    assert sync.exit_code == 0, sync.output
    assert sync.stdout == "policy versions: 2 added, 0 updated, 0 unchanged\n"
    assert "created schema" in sync.stderr
    assert run(repo, database_url, "db", "sync").stdout.endswith("2 unchanged\n")
    assert (
        run(repo, database_url, "customers", "import", str(repo / "customers.csv")).exit_code == 0
    )

    link = run(repo, database_url, "acceptance", "link", "--customer", "c2", "--policy", POLICY)
    assert link.exit_code == 0, link.output
    url = link.stdout.splitlines()[-1]
    assert url.startswith("http://127.0.0.1:8000/a/")
    settings = load_settings(repo, env={})
    claims = signer_for(settings).verify(url.rsplit("/", 1)[1])
    assert claims == LinkClaims("c2", POLICY, "2", None)
    assert "generated a signing key" in link.stderr

    superseded = run(
        repo,
        database_url,
        "acceptance",
        "link",
        "--customer",
        "c2",
        "--policy",
        POLICY,
        "--version",
        "1",
    )
    assert superseded.exit_code == 2 and superseded.stdout == ""
    assert "acceptable-use version 1 is superseded by version 2" in superseded.stderr
    assert "--allow-superseded" in superseded.stderr
    old = run(
        repo,
        database_url,
        "acceptance",
        "link",
        "--customer",
        "c2",
        "--policy",
        POLICY,
        "--version",
        "1",
        "--allow-superseded",
        "--format",
        "json",
    )
    assert json.loads(old.stdout)["version"] == "1"
    unknown = run(
        repo,
        database_url,
        "acceptance",
        "link",
        "--customer",
        "c2",
        "--policy",
        POLICY,
        "--version",
        "7",
    )
    assert unknown.exit_code == 2 and "known versions: 1, 2" in unknown.stderr
    nobody = run(repo, database_url, "acceptance", "link", "--customer", "zz", "--policy", POLICY)
    assert nobody.exit_code == 2 and "unknown customer 'zz'" in nobody.stderr

    db = Database.from_url(database_url, root=repo)
    try:
        record_acceptance(db, customer_id="c1", policy=POLICY, version="2", method="link")
    finally:
        db.dispose()
    report = run(repo, database_url, "acceptance", "report", "--format", "json")
    versions = json.loads(report.stdout)["versions"]
    assert [(v["version"], v["accepted"], v["pending"]) for v in versions] == [
        ("1", 0, 0),
        ("2", 1, 2),
    ]
    csv_out = run(repo, database_url, "acceptance", "report", "--version", "2", "--format", "csv")
    assert csv_out.stdout.splitlines()[1].startswith(f"{POLICY},2,c1,ada@example.com,")
    text_out = run(repo, database_url, "acceptance", "report", "--policy", POLICY)
    assert "pending for acceptable-use 2 (2):" in text_out.stdout


def test_sync_refuses_changed_text_of_an_accepted_version(repo: Path, database_url: str) -> None:
    from gitrepo import GitRepo

    settings = load_settings(repo, env={}, overrides={"database_url": database_url})
    db = migrate.open_store(settings)
    try:
        sync_versions(db, settings)
        support.import_customers(db, support.SEED_CUSTOMERS)
        record_acceptance(db, customer_id="c1", policy=POLICY, version="2", method="link")
        git = GitRepo(repo)
        git.write(
            "policies/acceptable-use.md",
            support.AUP_FILE_V2.replace("attack the network", "attack any network"),
        )
        git.commit("Edit v2 in place")
        with pytest.raises(PolicyError, match="version 2 changed after 1 customer"):
            sync_versions(db, settings)
        (_v1, v2) = stored_versions(db, slug=POLICY)
        assert "attack the network" in v2.body  # unchanged
    finally:
        db.dispose()


def _accepted_three(repo: Path, url: str) -> None:
    settings = load_settings(repo, env={}, overrides={"database_url": url})
    db = migrate.open_store(settings)
    try:
        sync_versions(db, settings)
        support.import_customers(db, support.SEED_CUSTOMERS)
        for customer in ("c1", "c2", "c3"):
            record_acceptance(
                db, customer_id=customer, policy=POLICY, version="2", method="link", ip="192.0.2.1"
            )
    finally:
        db.dispose()


def test_audit_verify_names_the_first_bad_record(repo: Path, database_url: str) -> None:
    _accepted_three(repo, database_url)
    ok = run(repo, database_url, "audit", "verify")
    assert ok.exit_code == 0 and ok.stdout.startswith("ledger intact: 3 records, head seq 3 ")
    head = run(repo, database_url, "audit", "head").stdout.strip()
    db = Database.from_url(database_url, root=repo)
    try:
        support.disable_append_only_guard(db)
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE acceptances SET ip = '192.0.2.99' WHERE seq = 2"))
            record_id = connection.execute(
                text("SELECT id FROM acceptances WHERE seq = 2")
            ).scalar()
    finally:
        db.dispose()
    bad = run(repo, database_url, "audit", "verify")
    assert bad.exit_code == 1
    assert (
        f"error: ledger verification failed: record seq 2 (id {record_id}; c2 "
        "acceptable-use 2) was edited"
    ) in bad.stderr
    data = json.loads(run(repo, database_url, "audit", "verify", "--format", "json").stdout)
    assert data["ok"] is False and data["problems"][0]["seq"] == 2
    anchored = run(repo, database_url, "audit", "verify", "--anchor", head)
    assert anchored.exit_code == 1
    malformed = run(repo, database_url, "audit", "verify", "--anchor", "3:abc")
    assert malformed.exit_code == 2 and "SEQ:HASH" in malformed.stderr


def test_evidence_command(repo: Path, database_url: str, tmp_path: Path) -> None:
    _accepted_three(repo, database_url)
    printed = run(repo, database_url, "acceptance", "evidence", "c2")
    assert printed.exit_code == 0, printed.output
    document = json.loads(printed.stdout)
    (entry,) = document["acceptances"]
    assert hashlib.sha256(entry["text"].encode()).hexdigest() == entry["record"]["content_sha256"]
    assert entry["record"]["commit"] == entry["version"]["commit"]
    out = tmp_path / "ev"
    written = run(repo, database_url, "acceptance", "evidence", "c2", "--out", str(out))
    assert written.exit_code == 0 and written.stdout.strip() == str(out)
    assert (out / "texts" / POLICY / "2.md").read_text() == entry["text"]
    missing = run(repo, database_url, "acceptance", "evidence", "zz")
    assert missing.exit_code == 2 and "unknown customer 'zz'" in missing.stderr


READ_ONLY = [
    ("audit", "verify"),
    ("audit", "head"),
    ("customers", "list"),
    ("acceptance", "report"),
    ("acceptance", "evidence", "c1"),
    ("db", "current"),
    ("db", "downgrade"),
]


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_read_only_commands_never_create_a_database(
    repo: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    for url in (f"sqlite:///{tmp_path}/typo.db", f"sqlite:///{tmp_path}/no/such/dir/x.db"):
        result = run(repo, url, *command)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: no database at {tmp_path}/"), result.stderr
        assert "publisher db upgrade" in result.stderr and "PUBLISHER_DATABASE_URL" in result.stderr
    assert not (tmp_path / "typo.db").exists() and not (tmp_path / "no").exists()
    assert not (repo / ".publisher" / "publisher.db").exists()


def test_writing_commands_create_a_store_only_where_a_folder_exists(
    repo: Path, tmp_path: Path
) -> None:
    missing = run(
        repo,
        f"sqlite:///{tmp_path}/no/dir/x.db",
        "customers",
        "import",
        str(repo / "customers.csv"),
    )
    assert missing.exit_code == 2 and "no/dir does not exist" in missing.stderr
    assert not (tmp_path / "no").exists()
    made = run(
        repo, f"sqlite:///{tmp_path}/new.db", "customers", "import", str(repo / "customers.csv")
    )
    assert made.exit_code == 0, made.output
    assert "created schema" in made.stderr
    default = CliRunner().invoke(main, ["-C", str(repo), "db", "upgrade"])
    assert default.exit_code == 0, default.output
    assert (repo / ".publisher" / "publisher.db").is_file()


def test_db_current_fails_unless_the_schema_is_at_head(repo: Path, database_url: str) -> None:
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).touch()  # an empty file: no schema
    empty = run(repo, database_url, "db", "current")
    assert empty.exit_code == 1, empty.output
    assert "no schema" in empty.stdout and "publisher db upgrade" in empty.stdout
    data = json.loads(run(repo, database_url, "db", "current", "--format", "json").stdout)
    assert data["current"] is None and data["up_to_date"] is False
    assert run(repo, database_url, "db", "upgrade", "--to", "0001_initial").exit_code == 0
    behind = run(repo, database_url, "db", "current", "--format", "json")
    assert behind.exit_code == 1 and json.loads(behind.stdout)["current"] == "0001_initial"
    assert run(repo, database_url, "db", "upgrade").exit_code == 0
    current = run(repo, database_url, "db", "current")
    assert current.exit_code == 0 and current.stdout.rstrip().endswith("up to date")


def test_db_downgrade_asks_first_and_refuses_with_records(repo: Path, database_url: str) -> None:
    assert run(repo, database_url, "db", "upgrade").exit_code == 0
    head = migrate.head_revision()
    declined = CliRunner().invoke(
        main,
        ["-C", str(repo), "db", "downgrade", "--to", "base", "--database-url", database_url],
        input="n\n",
    )
    assert declined.exit_code == 1 and "back up" in declined.stderr
    assert (
        json.loads(run(repo, database_url, "db", "current", "--format", "json").stdout)["current"]
        == head
    )
    _accepted_three(repo, database_url)
    refused = run(repo, database_url, "db", "downgrade", "--to", "base")  # before asking
    assert refused.exit_code == 2, refused.output
    assert "holds 3 acceptance records" in refused.stderr and "--force" in refused.stderr
    assert (
        json.loads(run(repo, database_url, "db", "current", "--format", "json").stdout)["current"]
        == head
    )
    forced = CliRunner().invoke(
        main,
        ["-C", str(repo), "db", "downgrade", "--force", "--database-url", database_url],
        input="y\n",
    )
    assert forced.exit_code == 0, forced.output
    assert f"downgraded {head} -> {migrate.revisions()[-2].id}" in forced.stdout


def test_audit_with_a_deleted_chain_head_says_tampered(repo: Path, database_url: str) -> None:
    _accepted_three(repo, database_url)
    db = Database.from_url(database_url, root=repo)
    try:
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM chain_head"))
    finally:
        db.dispose()
    verify = run(repo, database_url, "audit", "verify")
    assert verify.exit_code == 1, verify.output
    assert "error: ledger verification failed: ledger head missing: tampered" in verify.stderr
    assert "Traceback" not in verify.output
    data = json.loads(run(repo, database_url, "audit", "verify", "--format", "json").stdout)
    assert data["ok"] is False and data["problems"][0]["kind"] == "head"
    head = run(repo, database_url, "audit", "head")
    assert head.exit_code == 2 and "ledger head missing: tampered" in head.stderr


def test_every_store_command_speaks_json(repo: Path, database_url: str) -> None:
    head = migrate.head_revision()
    up = run(repo, database_url, "db", "upgrade", "--format", "json")
    assert up.exit_code == 0, up.output
    assert json.loads(up.stdout) == {
        "database": json.loads(up.stdout)["database"],
        "before": None,
        "after": head,
        "changed": True,
    }
    again = json.loads(run(repo, database_url, "db", "upgrade", "--format", "json").stdout)
    assert (again["before"], again["after"], again["changed"]) == (head, head, False)
    history = run(repo, database_url, "db", "history", "--format", "json")
    revisions = json.loads(history.stdout)["revisions"]
    assert [r["id"] for r in revisions] == [r.id for r in migrate.revisions()]
    assert revisions[0]["description"].startswith("Create the acceptance store")
    down = run(repo, database_url, "db", "downgrade", "--yes", "--format", "json")
    assert down.exit_code == 0, down.output
    assert {k: v for k, v in json.loads(down.stdout).items() if k != "database"} == {
        "before": head,
        "after": migrate.revisions()[-2].id,
    }
    run(repo, database_url, "db", "upgrade")
    _accepted_three(repo, database_url)
    audit = run(repo, database_url, "audit", "head", "--format", "json")
    data = json.loads(audit.stdout)
    assert data["seq"] == 3 and len(data["hash"]) == 64
    assert data["anchor"] == run(repo, database_url, "audit", "head").stdout.strip()


def test_customers_import_json_lists_invalid_rows(repo: Path, database_url: str) -> None:
    bad = repo / "bad.csv"
    bad.write_text("id,email,name,company\nc1,ada@example.com,Ada,A\nc2,bob@,Bob,B\n")
    result = run(repo, database_url, "customers", "import", str(bad), "--format", "json")
    assert result.exit_code == 2
    assert "nothing was imported" in result.stderr
    data = json.loads(result.stdout)
    assert data["imported"] is False
    assert data["invalid"] == [{"line": 3, "message": "invalid email 'bob@'"}]
    skipped = run(
        repo, database_url, "customers", "import", str(bad), "--skip-invalid", "--format", "json"
    )
    data = json.loads(skipped.stdout)
    assert (data["imported"], data["created"], data["invalid"]) == (
        True,
        1,
        [{"line": 3, "message": "invalid email 'bob@'"}],
    )


def _notice(repo: Path, url: str, label: str) -> int:
    from publisher.store.models import Notice, utcnow

    db = Database.from_url(url, root=repo)
    try:
        with db.session() as session, session.begin():
            notice = Notice(
                slug=POLICY,
                version_label=label,
                subject="AUP changes",
                summary=None,
                status="sent",
                forced=False,
                created_at=utcnow(),
            )
            session.add(notice)
            session.flush()
            return notice.id
    finally:
        db.dispose()


def test_link_refuses_an_unknown_or_mismatched_notice(repo: Path, database_url: str) -> None:
    assert (
        run(repo, database_url, "customers", "import", str(repo / "customers.csv")).exit_code == 0
    )
    missing = run(
        repo,
        database_url,
        "acceptance",
        "link",
        "--customer",
        "c1",
        "--policy",
        POLICY,
        "--notice",
        "999",
    )
    assert missing.exit_code == 2 and "no notice 999" in missing.stderr
    assert missing.stdout == ""
    notice = _notice(repo, database_url, "2")
    link = run(
        repo,
        database_url,
        "acceptance",
        "link",
        "--customer",
        "c1",
        "--policy",
        POLICY,
        "--notice",
        str(notice),
        "--format",
        "json",
    )
    assert link.exit_code == 0, link.output
    assert (json.loads(link.stdout)["version"], json.loads(link.stdout)["notice"]) == ("2", notice)
    other = run(
        repo,
        database_url,
        "acceptance",
        "link",
        "--customer",
        "c1",
        "--policy",
        POLICY,
        "--notice",
        str(notice),
        "--version",
        "1",
        "--allow-superseded",
    )
    assert other.exit_code == 2
    assert f"notice {notice} is for acceptable-use version 2, not 1" in other.stderr
