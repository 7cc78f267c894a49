"""Organisations: customers of kind organisation, their members, who may act for them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import store_support as support
from click.testing import CliRunner, Result

from publisher.cli import main
from publisher.errors import NotFoundError
from publisher.store.customers import (
    CustomerFileError,
    CustomerRow,
    customer_row,
    import_file,
    list_customers,
    membership_problems,
    parse_customers,
)
from publisher.store.db import Database
from publisher.store.ledger import record_acceptance
from publisher.store.org_reports import (
    organisation_report,
    render_organisations_csv,
    render_organisations_text,
)
from publisher.store.organisations import NotAMember, acting_for, members, save_customer
from publisher.store.reports import acceptance_report

ORGS = """id,email,name,company,locale,kind,organisation
acme,legal@acme.example,Acme Ltd,Acme Ltd,,organisation,
ann,ann@acme.example,Ann Smith,Acme Ltd,,,acme
ben,ben@acme.example,Ben Jones,Acme Ltd,,person,acme
solo,solo@example.com,Solo Trader,,,,
"""


def write(tmp_path: Path, text: str, name: str = "customers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_csv_names_kind_and_organisation(tmp_path: Path, database: Database) -> None:
    result = import_file(database, write(tmp_path, ORGS))
    assert result.created == 4
    stored = {c.id: (c.kind, c.organisation) for c in list_customers(database)}
    assert stored == {
        "acme": ("organisation", None),
        "ann": ("person", "acme"),
        "ben": ("person", "acme"),
        "solo": ("person", None),
    }
    assert [m.id for m in members(database, "acme")] == ["ann", "ben"]
    again = import_file(database, write(tmp_path, ORGS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_bad_kinds_and_self_references_are_refused_with_their_line() -> None:
    parsed = parse_customers(
        "id,email,name,company,kind,organisation\n"
        "a,a@example.com,A,,company,\n"
        "b,b@example.com,B,,organisation,acme\n"
        "c,c@example.com,C,,,c\n"
    )
    assert [(p.line, p.message) for p in parsed.problems] == [
        (2, "invalid kind 'company' (use person or organisation)"),
        (3, "an organisation cannot belong to another organisation"),
        (4, "a customer cannot be their own organisation"),
    ]


def test_an_unknown_or_personal_organisation_fails_the_whole_import(
    tmp_path: Path, database: Database
) -> None:
    text = (
        "id,email,name,company,kind,organisation\n"
        "solo,solo@example.com,Solo,,,\n"
        "ann,ann@example.com,Ann,,,nowhere\n"
        "ben,ben@example.com,Ben,,,solo\n"
    )
    with pytest.raises(CustomerFileError) as raised:
        import_file(database, write(tmp_path, text))
    assert [(p.line, p.message) for p in raised.value.problems] == [
        (3, "unknown organisation 'nowhere'"),
        (4, "'solo' is a person, not an organisation (give it kind organisation)"),
    ]
    assert list_customers(database) == []  # nothing written


def test_an_organisation_with_members_stays_one(tmp_path: Path, database: Database) -> None:
    import_file(database, write(tmp_path, ORGS))
    demote = "id,email,name,company,kind\nacme,legal@acme.example,Acme Ltd,Acme Ltd,person\n"
    with pytest.raises(CustomerFileError) as raised:
        import_file(database, write(tmp_path, demote, "demote.csv"))
    assert "'acme' has 2 members (ann, ben): it stays an organisation" in str(raised.value)
    # moving the members out in the same file makes it possible
    moved = demote + "ann,ann@acme.example,Ann Smith,Acme Ltd,person\n"
    moved += "ben,ben@acme.example,Ben Jones,Acme Ltd,person\n"
    assert import_file(database, write(tmp_path, moved, "moved.csv")).updated == 3


def test_membership_problems_is_pure() -> None:
    rows = [CustomerRow(2, "m", "m@example.com", "M", "", organisation="org")]
    assert membership_problems(rows, {"org": "organisation"}, {}) == []
    assert membership_problems(rows, {}, {})[0].message == "unknown organisation 'org'"


def test_save_customer_creates_updates_and_checks(database: Database) -> None:
    org = customer_row(
        {"id": "acme", "email": "l@acme.example", "name": "Acme", "kind": "organisation"}
    )
    assert save_customer(database, org).outcome == "created"
    ann = customer_row(
        {"id": "ann", "email": "ann@acme.example", "name": "Ann", "organisation": "acme"}
    )
    saved = save_customer(database, ann)
    assert (saved.outcome, saved.customer.organisation) == ("created", "acme")
    assert save_customer(database, ann).outcome == "unchanged"
    with pytest.raises(CustomerFileError, match="invalid email"):
        customer_row({"id": "x", "email": "nope", "name": "X"})
    with pytest.raises(CustomerFileError, match="unknown organisation 'zzz'"):
        save_customer(
            database,
            customer_row({"id": "x", "email": "x@e.com", "name": "X", "organisation": "zzz"}),
        )


def test_acting_for_checks_membership(tmp_path: Path, database: Database) -> None:
    import_file(database, write(tmp_path, ORGS))
    assert acting_for(database, "ann", "acme").id == "acme"
    with pytest.raises(NotAMember, match="'solo' is not a member of organisation 'acme'"):
        acting_for(database, "solo", "acme")
    with pytest.raises(NotAMember, match="'solo' is not an organisation"):
        acting_for(database, "ann", "solo")
    with pytest.raises(NotFoundError, match="unknown customer 'ghost'"):
        acting_for(database, "ghost", "acme")
    with pytest.raises(NotFoundError, match="is a person, not an organisation"):
        members(database, "solo")


# -- the commands --------------------------------------------------------------------------------


def cli(repo: Path, url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["-C", str(repo), *args, "--database-url", url])


def test_customers_add_and_members_commands(tmp_path: Path, database_url: str) -> None:
    repo = support.make_policy_repo(tmp_path / "repo")
    org = cli(
        repo,
        database_url,
        "customers",
        "add",
        "acme",
        "--email",
        "l@acme.example",
        "--name",
        "Acme Ltd",
        "--kind",
        "organisation",
    )
    assert org.exit_code == 0, org.output
    assert org.stdout == "created: acme  Acme Ltd <l@acme.example>  [organisation]\n"
    ann = cli(
        repo,
        database_url,
        "customers",
        "add",
        "ann",
        "--email",
        "ann@acme.example",
        "--name",
        "Ann",
        "--organisation",
        "acme",
        "--format",
        "json",
    )
    assert json.loads(ann.stdout) == {
        "outcome": "created",
        "customer": {
            "id": "ann",
            "email": "ann@acme.example",
            "name": "Ann",
            "company": "",
            "locale": None,
            "kind": "person",
            "organisation": "acme",
        },
    }
    listed = cli(repo, database_url, "customers", "members", "acme")
    assert listed.stdout == "ann  Ann <ann@acme.example>  (member of acme)\n"
    assert "1 member" in listed.stderr
    assert "(member of acme)" in cli(repo, database_url, "customers", "list").stdout
    bad = cli(
        repo,
        database_url,
        "customers",
        "add",
        "bob",
        "--email",
        "bob@x.example",
        "--name",
        "Bob",
        "--organisation",
        "ann",
    )
    assert bad.exit_code != 0 and "'ann' is a person, not an organisation" in bad.stderr
    assert "Traceback" not in bad.output
    worse = cli(repo, database_url, "customers", "add", "bob", "--email", "bob@", "--name", "B")
    assert worse.exit_code != 0 and "invalid email 'bob@'" in worse.stderr
    person = cli(repo, database_url, "customers", "members", "ann")
    assert person.exit_code != 0 and "is a person, not an organisation" in person.stderr


# -- reports -------------------------------------------------------------------------------------


def organisations(database: Database) -> None:
    support.seed(database)
    for values in (
        {"id": "acme", "email": "l@acme.example", "name": "Acme Ltd", "kind": "organisation"},
        {"id": "globex", "email": "l@globex.example", "name": "Globex", "kind": "organisation"},
        {"id": "ann", "email": "ann@acme.example", "name": "Ann", "organisation": "acme"},
        {"id": "ben", "email": "ben@acme.example", "name": "Ben", "organisation": "acme"},
    ):
        save_customer(database, customer_row(values))
    record_acceptance(
        database,
        customer_id="acme",
        policy="acceptable-use",
        version="2",
        method="api",
        acting_user="ann",
    )


def test_the_report_counts_an_organisations_acceptance_for_its_members(
    database: Database,
) -> None:
    organisations(database)
    report = acceptance_report(database, policy="acceptable-use", version="2")
    by_id = {c.id: c for c in report.versions[0].customers}
    assert (by_id["acme"].status, by_id["acme"].acting_user) == ("accepted", "ann")
    assert (by_id["ben"].status, by_id["ben"].organisation) == ("accepted", "acme")
    assert (by_id["globex"].status, by_id["c1"].status) == ("pending", "pending")


def test_the_report_per_organisation(database: Database) -> None:
    organisations(database)
    report = organisation_report(database, policy="acceptable-use")
    v1, v2 = report.versions
    assert [(o.status.id, o.status.status, o.members) for o in v2.organisations] == [
        ("acme", "accepted", ("ann", "ben")),
        ("globex", "pending", ()),
    ]
    assert [o.status.status for o in v1.organisations] == ["superseded", "superseded"]
    assert render_organisations_text(report).splitlines()[-3:] == [
        "acceptable-use 2 (current): 1 of 2 organisations accepted, 1 pending",
        f"  acme  Acme Ltd  accepted {v2.organisations[0].status.accepted_at:%Y-%m-%d} by ann; "
        "2 members",
        "  globex  Globex  pending (never accepted); 0 members",
    ]
    rows = render_organisations_csv(report).split("\r\n")
    assert (
        rows[0] == "policy,version,organisation,name,status,accepted_at,acting_user,method,members"
    )
    assert rows[3].startswith("acceptable-use,2,acme,Acme Ltd,accepted,") and rows[3].endswith(
        ",ann,api,ann ben"
    )
    data = report.to_dict()["versions"][1]
    assert (data["organisations"], data["accepted"], data["pending"]) == (2, 1, 1)


def test_the_report_command_by_organisation(tmp_path: Path, database_url: str) -> None:
    repo = support.make_policy_repo(tmp_path / "repo")
    db = support.synced_store(repo, database_url)
    try:
        save_customer(
            db,
            customer_row({"id": "o1", "email": "o@o.example", "name": "O", "kind": "organisation"}),
        )
    finally:
        db.dispose()
    text = cli(repo, database_url, "acceptance", "report", "--by", "organisation")
    assert text.exit_code == 0, text.output
    assert "  o1  O  pending (never accepted); 0 members" in text.stdout
    as_json = json.loads(
        cli(
            repo, database_url, "acceptance", "report", "--by", "organisation", "--format", "json"
        ).stdout
    )
    assert as_json["by"] == "organisation"
    assert [s["organisation"] for s in as_json["versions"][-1]["standings"]] == ["o1"]
    as_csv = cli(
        repo, database_url, "acceptance", "report", "--by", "organisation", "--format", "csv"
    )
    assert len(as_csv.stdout.splitlines()) == 1 + len(as_json["versions"])


def test_the_organisations_evidence_names_who_accepted_for_it(database: Database) -> None:
    from publisher.store.evidence import collect_evidence, evidence_document

    organisations(database)
    document = evidence_document(collect_evidence(database, "acme"))
    pairs = [(a["record"]["customer"], a["record"]["acting_user"]) for a in document["acceptances"]]
    assert pairs == [("acme", "ann")]
    assert evidence_document(collect_evidence(database, "ann"))["acceptances"] == []


def test_acceptance_link_on_behalf_of(tmp_path: Path, database_url: str) -> None:
    from publisher.config import load_settings
    from publisher.links import signer_for

    repo = support.make_policy_repo(tmp_path / "repo")
    db = support.synced_store(repo, database_url)
    try:
        save_customer(
            db,
            customer_row({"id": "o1", "email": "o@o.example", "name": "O", "kind": "organisation"}),
        )
        save_customer(
            db,
            customer_row({"id": "m1", "email": "m@o.example", "name": "M", "organisation": "o1"}),
        )
    finally:
        db.dispose()
    args = ("acceptance", "link", "--customer", "m1", "--policy", "acceptable-use")
    made = cli(repo, database_url, *args, "--on-behalf-of", "o1", "--format", "json")
    assert made.exit_code == 0, made.output
    document = json.loads(made.stdout)
    assert document["on_behalf_of"] == "o1"
    settings = load_settings(repo, env={}, overrides={"database_url": database_url})
    claims = signer_for(settings).verify(document["token"])
    assert (claims.customer, claims.organisation) == ("m1", "o1")
    refused = cli(
        repo,
        database_url,
        "acceptance",
        "link",
        "--customer",
        "c1",
        "--policy",
        "acceptable-use",
        "--on-behalf-of",
        "o1",
    )
    assert refused.exit_code != 0 and "'c1' is not a member of organisation 'o1'" in refused.stderr
