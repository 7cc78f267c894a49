"""``publisher notice`` end to end on a real repository with the folder mailer: create,
list, preview, send (and send again), status, remind; JSON output; clear errors."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import notices_support as support
import pytest
from click.testing import CliRunner
from sqlalchemy import text, update

from publisher.cli import main
from publisher.store.models import Delivery

EFFECTIVE = support.V3_EFFECTIVE.isoformat()


def _create(setup: support.Setup, *args: str) -> int:
    result = setup.cli("notice", "create", "acceptable-use", "--effective", EFFECTIVE, *args)
    assert result.exit_code == 0, result.output
    return int(result.stdout.splitlines()[-1])


def test_create_preview_send_status(sqlite_setup: support.Setup, tmp_path: Path) -> None:
    created = sqlite_setup.cli(
        "notice",
        "create",
        "acceptable-use",
        "--effective",
        EFFECTIVE,
        "--subject",
        "Our Acceptable Use Policy is changing",
    )
    assert created.exit_code == 0, created.output
    notice = created.stdout.splitlines()[-1]
    assert "1 customer since version 1: " in created.stderr
    assert "1 customer never accepted: " in created.stderr

    listed = json.loads(sqlite_setup.cli("notice", "list", "--format", "json").stdout)
    assert [(n["id"], n["recipients"], n["status"]) for n in listed["notices"]] == [
        (int(notice), 3, "draft")
    ]

    preview = sqlite_setup.cli("notice", "preview", notice, "--customer", "c2")
    assert preview.exit_code == 0, preview.output
    assert preview.stdout.startswith(
        "From: Northwind Legal <legal@northwind.example>\n"
        "To: Bob Stone <bob@example.org>\n"
        "Subject: Our Acceptable Use Policy is changing\n"
    )
    assert "You last accepted version 2" in preview.stdout
    html = sqlite_setup.cli("notice", "preview", notice, "--customer", "c2", "--html").stdout
    assert html.startswith("<!DOCTYPE html>") and "Dear Bob Stone," in html
    eml = sqlite_setup.cli("notice", "preview", notice, "--eml").stdout
    assert "Content-Type: multipart/alternative" in eml
    stranger = sqlite_setup.cli("notice", "preview", notice, "--customer", "c4")
    assert stranger.exit_code == 2
    assert "customer 'c4' is not a recipient" in stranger.stderr
    assert "accepted acceptable-use version 3" in stranger.stderr

    out = tmp_path / "outbox"
    sent = sqlite_setup.cli("notice", "send", notice, "--out", str(out), "--format", "json")
    assert sent.exit_code == 0, sent.output
    report = json.loads(sent.stdout)
    assert report["sent"] == 3 and report["complete"] and report["counts"]["sent"] == 3
    files = sorted((out / f"notice-{notice}").glob("*.eml"))
    assert len(files) == 3
    message = email.message_from_bytes(files[1].read_bytes(), policy=email.policy.default)
    assert message["To"] == "Bob Stone <bob@example.org>"

    again = sqlite_setup.cli("notice", "send", notice, "--out", str(out))
    assert again.exit_code == 0 and "this run sent 0" in again.stdout
    assert len(list((out / f"notice-{notice}").glob("*.eml"))) == 3

    status = json.loads(sqlite_setup.cli("notice", "status", notice, "--format", "json").stdout)
    assert status["counts"] == {"queued": 0, "sending": 0, "sent": 3, "failed": 0, "unknown": 0}
    assert status["notice"]["status"] == "sent" and status["notice"]["mailer"] == "folder"
    assert status["groups"] == [
        {"since": None, "count": 1},
        {"since": "1", "count": 1},
        {"since": "2", "count": 1},
    ]
    assert status["next"] == []
    shown = sqlite_setup.cli("notice", "status", notice).stdout
    assert "recipients: 3 (1 since never accepted, 1 since v1, 1 since v2)" in shown


def test_remind_through_the_cli(sqlite_setup: support.Setup, tmp_path: Path) -> None:
    notice = _create(sqlite_setup)
    out = tmp_path / "outbox"
    assert sqlite_setup.cli("notice", "send", str(notice), "--out", str(out)).exit_code == 0
    nobody = sqlite_setup.cli("notice", "remind", str(notice), "--out", str(out))
    assert nobody.exit_code == 0 and "less than 14 days ago" in nobody.stderr
    with sqlite_setup.database.engine.begin() as connection:
        connection.execute(update(Delivery).values(sent_at=datetime.now(UTC) - timedelta(days=20)))
    reminded = sqlite_setup.cli("notice", "remind", str(notice), "--out", str(out))
    assert reminded.exit_code == 0, reminded.output
    reminder = int(reminded.stdout.splitlines()[-1])
    assert reminder != notice
    files = list((out / f"notice-{reminder}").glob("*.eml"))
    assert len(files) == 3
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["Subject"].strip().startswith("Reminder: ")
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "This is a reminder" in body
    with sqlite_setup.database.engine.connect() as connection:
        kinds = connection.execute(text("SELECT kind, parent_id FROM notices ORDER BY id")).all()
    assert [tuple(k) for k in kinds] == [("notice", None), ("reminder", notice)]


def test_bad_arguments_are_one_line_errors(sqlite_setup: support.Setup) -> None:
    bad_date = sqlite_setup.cli("notice", "create", "acceptable-use", "--effective", "soon")
    assert bad_date.exit_code == 2 and "'soon' is not a date" in bad_date.output
    no_policy = sqlite_setup.cli("notice", "create", "nope", "--effective", EFFECTIVE)
    assert no_policy.exit_code == 2 and "Traceback" not in no_policy.output
    bad_version = sqlite_setup.cli(
        "notice", "create", "acceptable-use", "--version", "9", "--effective", EFFECTIVE
    )
    assert bad_version.exit_code == 2 and "has no version '9'" in bad_version.stderr
    notice = _create(sqlite_setup)
    rate = sqlite_setup.cli("notice", "send", str(notice), "--rate", "0")
    assert rate.exit_code == 2 and "must be more than 0" in rate.output
    settle = sqlite_setup.cli("notice", "settle", str(notice), "--batch", "x", "--as", "maybe")
    assert settle.exit_code == 2


def test_the_demo_dry_run_writes_one_email_per_customer(notice_repo: Path) -> None:
    from publisher.config import load_settings
    from publisher.notices.demo import dry_run

    settings = load_settings(notice_repo, env=support.notice_env())
    lines = dry_run(settings, today=datetime.now(UTC).date(), warn=lambda _: None)
    assert lines[0].startswith("publisher notice create acceptable-use  ->  notice 1 ")
    assert f"(1 never accepted, 1 on v1, 1 on v2), effective {EFFECTIVE}" in lines[0]
    files = sorted((notice_repo / ".publisher/demo/outbox/notice-1").glob("*.eml"))
    assert [f.name for f in files] == [
        "00000001-demo-first.eml",
        "00000002-demo-previous.eml",
        "00000003-demo-never.eml",
    ]
    first = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert "You last accepted version 1" in first.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    day = support.V3_EFFECTIVE
    assert (
        f"Version 3 takes effect on {day.day} {day:%B %Y}."
        in first.get_body(("plain",)).get_content()
    )  # type: ignore[union-attr]
    assert not (notice_repo / ".publisher/publisher.db").exists()  # the real store untouched
    again = dry_run(settings, today=datetime.now(UTC).date(), warn=lambda _: None)
    assert again == lines  # recreated from scratch each time


def test_the_demo_announces_a_version_in_force_as_in_effect_since(tmp_path: Path) -> None:
    from publisher.config import load_settings
    from publisher.notices.demo import dry_run

    repo = support.make_notice_repo(tmp_path / "repo", v3_effective=date(2026, 3, 1))
    settings = load_settings(repo, env=support.notice_env())
    lines = dry_run(settings, today=date(2026, 12, 3), warn=lambda _: None)
    assert lines[0].startswith("publisher notice create acceptable-use --force  ->  notice 1")
    assert "effective 2026-03-01 (already in effect" in lines[0]
    sent = email.message_from_bytes(
        next((repo / ".publisher/demo/outbox/notice-1").glob("*.eml")).read_bytes(),
        policy=email.policy.default,
    )
    text = sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Version 3 has been in effect since 1 March 2026." in text
    assert "takes effect" not in text and "in effect since 1 March 2026" in sent["Subject"]


@pytest.mark.parametrize(
    "args",
    [
        ["status", "1"],
        ["list"],
        ["preview", "1"],
        ["send", "1"],
        ["settle", "1", "--batch", "b", "--as", "sent"],
        ["remind", "1"],
    ],
)
def test_commands_on_existing_notices_never_create_a_database(
    tmp_path: Path, args: list[str]
) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = CliRunner().invoke(main, ["-C", str(tmp_path), "notice", *args])
    assert result.exit_code == 2
    assert "no database at" in result.stderr
    assert not (tmp_path / ".publisher" / "publisher.db").exists()


def test_a_store_without_customers_says_so_and_how_to_add_them(
    notice_repo: Path, tmp_path: Path
) -> None:
    empty = support.prepare(
        notice_repo, f"sqlite:///{tmp_path / 'empty.db'}", customers=(), accepted=()
    )
    try:
        result = empty.cli("notice", "create", "acceptable-use", "--effective", EFFECTIVE)
    finally:
        empty.database.dispose()
    assert result.exit_code == 0, result.output
    assert "no customers in the store" in result.stderr
    assert "publisher customers import FILE.csv" in result.stderr
    assert "already accepted" not in result.stderr


def test_an_unknown_policy_lists_the_known_ones_and_creates_no_store(notice_repo: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["-C", str(notice_repo), "notice", "create", "no-such-policy", "--effective", EFFECTIVE],
        env=support.notice_env(),
    )
    assert result.exit_code == 2
    assert "no-such-policy" in result.stderr and "acceptable-use" in result.stderr
    assert "Traceback" not in result.output
    assert not (notice_repo / ".publisher" / "publisher.db").exists()


def test_preview_and_settle_speak_json(sqlite_setup: support.Setup) -> None:
    notice = str(sqlite_setup.create().notice.id)
    shown = sqlite_setup.cli("notice", "preview", notice, "--customer", "c2", "--format", "json")
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.stdout)
    assert document["notice"] == int(notice) and document["customer"] == "c2"
    assert document["since"] == "2"
    assert document["headers"]["To"] == "Bob Stone <bob@example.org>"
    assert "You last accepted version 2" in document["text"]
    assert document["html"].startswith("<!DOCTYPE html>")

    stranger = sqlite_setup.cli("notice", "preview", notice, "--customer", "c4", "--format", "json")
    assert stranger.exit_code == 2 and stranger.stdout == ""
    error = json.loads(stranger.stderr)
    assert "customer 'c4' is not a recipient" in error["error"]["message"]
    assert "accepted acceptable-use version 3" in error["error"]["hint"]
    assert error["error"]["exit_code"] == 2

    with sqlite_setup.database.engine.begin() as connection:  # a batch whose answer was lost
        connection.execute(
            text(
                "UPDATE deliveries SET state = 'unknown', batch_id = 'b-1', "
                "claimed_at = queued_at WHERE customer_id IN ('c1', 'c2')"
            )
        )
    settled = sqlite_setup.cli(
        "notice", "settle", notice, "--batch", "b-1", "--as", "queued", "--format", "json"
    )
    assert settled.exit_code == 0, settled.output
    assert json.loads(settled.stdout) == {
        "notice": int(notice),
        "batch": "b-1",
        "as": "queued",
        "settled": 2,
    }
    again = sqlite_setup.cli(
        "notice", "settle", notice, "--batch", "b-1", "--as", "sent", "--format", "json"
    )
    assert again.exit_code == 2 and again.stdout == ""
    assert (
        "no rows of unknown outcome in batch 'b-1'" in json.loads(again.stderr)["error"]["message"]
    )


def test_every_json_command_reports_errors_as_json(sqlite_setup: support.Setup) -> None:
    soon = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    for args in (
        ["create", "acceptable-use", "--effective", soon],
        ["send", "99"],
        ["status", "99"],
        ["remind", "99"],
    ):
        result = sqlite_setup.cli("notice", *args, "--format", "json")
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == "", args
        error = json.loads(result.stderr.splitlines()[-1])
        assert error["error"]["exit_code"] == 2 and error["error"]["message"], args
    text_error = sqlite_setup.cli("notice", "status", "99")
    assert text_error.stderr.startswith("error: no notice 99")
