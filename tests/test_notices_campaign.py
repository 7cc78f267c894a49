"""Creating notices: recipients grouped by last accepted version, the notice-period rule and
its recorded override, customer files with bad rows, top-ups and reminders — on a real git
repository and a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import notices_support as support
import pytest
from sqlalchemy import text, update

from publisher.errors import NotFoundError
from publisher.notices import campaign, reminders
from publisher.notices.campaign import NoticeError, NoticePeriodError, notice_period_problem
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.ledger import record_acceptance
from publisher.store.models import Delivery

TODAY = date(2026, 12, 1)


# -- the rule, pure -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effective", "material", "days", "refused"),
    [
        (TODAY + timedelta(days=30), True, 30, False),  # exactly the period: fine
        (TODAY + timedelta(days=29), True, 30, True),  # one day short
        (TODAY - timedelta(days=3), True, 30, True),  # already in effect
        (TODAY + timedelta(days=2), False, 30, False),  # editorial only: no period
        (TODAY + timedelta(days=2), True, 0, False),  # period switched off
        (TODAY + timedelta(days=6), True, 7, True),  # the policy's own shorter period
    ],
)
def test_notice_period_rule(effective: date, material: bool, days: int, refused: bool) -> None:
    problem = notice_period_problem(effective=effective, today=TODAY, days=days, material=material)
    assert (problem is not None) == refused


def test_the_refusal_says_why_and_what_date_would_do() -> None:
    problem = notice_period_problem(
        effective=date(2026, 12, 11),
        today=TODAY,
        days=30,
        material=True,
        what="acceptable-use version 3",
    )
    assert problem == (
        "acceptable-use version 3 has material changes and takes effect on 2026-12-11, "
        "10 days from today (2026-12-01); material changes need 30 days' notice, so the "
        "earliest effective date is 2026-12-31"
    )


# -- groups --------------------------------------------------------------------------------


def test_recipients_are_grouped_by_the_version_they_last_accepted(setup: support.Setup) -> None:
    created = setup.create()
    groups = {g.since: g.count for g in created.groups}
    assert groups == {None: 1, "1": 1, "2": 1}  # c4 accepted version 3: not a recipient
    with setup.database.engine.connect() as connection:
        rows = dict(
            connection.execute(
                text("SELECT customer_id, since_label FROM deliveries WHERE notice_id = :n"),
                {"n": created.notice.id},
            ).all()
        )
    assert rows == {"c1": "1", "c2": "2", "c3": None}
    by_since = {c.since: c for c in created.changes}
    assert by_since["1"].base == "1" and by_since["2"].base == "2"
    assert by_since[None].base == "2"  # never accepted: what changed in this version
    # Each group is told what changed since *its* version: v1 -> v3 includes v2's changes.
    assert by_since["1"].changes is not None and by_since["2"].changes is not None
    v1_texts = {c.clause.text for c in by_since["1"].changes.changes}
    v2_texts = {c.clause.text for c in by_since["2"].changes.changes}
    assert "You shall not scan other customers' hosts." in v1_texts
    assert "You shall not scan other customers' hosts." not in v2_texts
    assert [v.label for v in by_since["1"].versions] == ["2", "3"]
    assert created.notice.material is True and created.notice.notice_days == 30
    assert created.notice.summary is not None and "cryptocurrency" in created.notice.summary


def test_a_second_notice_for_the_same_version_is_refused(setup: support.Setup) -> None:
    first = setup.create()
    with pytest.raises(NoticeError, match=f"already has notice {first.notice.id}") as caught:
        setup.create()
    assert f"publisher notice send {first.notice.id}" in (caught.value.hint or "")


def test_new_customers_are_added_when_sending_but_nobody_twice(setup: support.Setup) -> None:
    created = setup.create()
    import_customers(setup.database, [CustomerRow(9, "c9", "new@example.com", "Nia New", "")])
    assert campaign.top_up(setup.database, created.notice) == 1
    assert campaign.top_up(setup.database, created.notice) == 0
    groups = {
        g.since: g.count for g in campaign.recipient_groups(setup.database, created.notice.id)
    }
    assert groups == {None: 2, "1": 1, "2": 1}


# -- the notice period through the CLI -------------------------------------------------------


def _counts(setup: support.Setup) -> tuple[int, int]:
    with setup.database.engine.connect() as connection:
        notices = connection.execute(text("SELECT count(*) FROM notices")).scalar_one()
        deliveries = connection.execute(text("SELECT count(*) FROM deliveries")).scalar_one()
    return notices, deliveries


def test_notice_period_refusal_records_nothing(sqlite_setup: support.Setup) -> None:
    soon = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    result = sqlite_setup.cli("notice", "create", "acceptable-use", "--effective", soon)
    assert result.exit_code == 2
    assert (
        "error: refusing to create the notice: acceptable-use version 3 has material "
        f"changes and takes effect on {soon}, 10 days from today" in result.stderr
    )
    assert "hint: announce a version effective" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.output
    assert _counts(sqlite_setup) == (0, 0)


def test_force_records_the_override(sqlite_setup: support.Setup) -> None:
    soon = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    result = sqlite_setup.cli("notice", "create", "acceptable-use", "--effective", soon, "--force")
    assert result.exit_code == 0, result.output
    notice_id = int(result.stdout.splitlines()[-1])
    assert (
        "override recorded: forced: acceptable-use version 3 has material changes" in result.stderr
    )
    notice = campaign.get_notice(sqlite_setup.database, notice_id)
    assert notice.forced and notice.override is not None
    assert "need 30 days' notice" in notice.override
    status = json.loads(
        sqlite_setup.cli("notice", "status", str(notice_id), "--format", "json").stdout
    )
    assert status["notice"]["forced"] is True and status["notice"]["override"]


def test_front_matter_notice_days_overrides_the_setting(tmp_path: Path) -> None:
    from gitrepo import GitRepo

    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/acceptable-use.md", support.AUP_V1)
    repo.commit("v1", date="2024-01-10")
    in_ten_days = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    repo.write(
        "policies/acceptable-use.md",
        support.AUP_V2.replace("summary:", "notice_days: 7\nsummary:").replace(
            "2024-05-01", in_ten_days
        ),
    )
    repo.commit("v2", date="2024-04-01")
    setup = support.prepare(
        tmp_path / "repo", f"sqlite:///{tmp_path / 's.db'}", accepted=[("c1", "1")]
    )
    result = setup.cli("notice", "create", "acceptable-use", "--effective", in_ten_days)
    assert result.exit_code == 0, result.output
    setup.database.dispose()


def test_sending_late_is_refused_too(sqlite_setup: support.Setup, tmp_path: Path) -> None:
    created = sqlite_setup.create()  # in time when created (fixed clock)...
    with sqlite_setup.database.engine.begin() as connection:  # ...but sent long after
        connection.execute(
            text("UPDATE notices SET effective = :d"),
            {"d": datetime.now(UTC).date() + timedelta(days=5)},
        )
    result = sqlite_setup.cli(
        "notice", "send", str(created.notice.id), "--out", str(tmp_path / "out")
    )
    assert result.exit_code == 2
    assert f"refusing to send notice {created.notice.id} today" in result.stderr
    assert not (tmp_path / "out").exists()
    forced = sqlite_setup.cli(
        "notice", "send", str(created.notice.id), "--out", str(tmp_path / "out"), "--force"
    )
    assert forced.exit_code == 0, forced.output
    assert campaign.get_notice(sqlite_setup.database, created.notice.id).override.startswith(
        "forced at send:"
    )


# -- customer files with bad rows ------------------------------------------------------------


BAD_CSV = """id,email,name,company
c1,ada@example.com,Ada Lovelace,Analytical Ltd
c5,not-an-email,Eve Broken,
c6,fay@example.com,,Nameless Inc
c1,ada2@example.com,Ada Again,
c7,gus@example.com,Gus Good,
"""


def test_a_customer_list_with_bad_rows_stops_before_anything(
    sqlite_setup: support.Setup, tmp_path: Path
) -> None:
    csv = tmp_path / "customers.csv"
    csv.write_text(BAD_CSV)
    effective = support.V3_EFFECTIVE.isoformat()
    before = _counts(sqlite_setup)
    result = sqlite_setup.cli(
        "notice", "create", "acceptable-use", "--effective", effective, "--customers", str(csv)
    )
    assert result.exit_code == 2
    assert "3 invalid rows; nothing was imported" in result.stderr
    assert f"{csv}:3: invalid email 'not-an-email'" in result.stderr
    assert f"{csv}:4: missing name" in result.stderr
    assert f"{csv}:5: duplicate id 'c1' (first on line 2)" in result.stderr
    assert _counts(sqlite_setup) == before
    with sqlite_setup.database.engine.connect() as connection:
        assert (
            connection.execute(text("SELECT count(*) FROM customers WHERE id = 'c7'")).scalar_one()
            == 0
        )

    skipped = sqlite_setup.cli(
        "notice",
        "create",
        "acceptable-use",
        "--effective",
        effective,
        "--customers",
        str(csv),
        "--skip-invalid",
    )
    assert skipped.exit_code == 0, skipped.output
    assert f"skipped {csv}:3: invalid email" in skipped.stderr
    notice_id = int(skipped.stdout.splitlines()[-1])
    with sqlite_setup.database.engine.connect() as connection:
        recipients = set(
            connection.execute(
                text("SELECT customer_id FROM deliveries WHERE notice_id = :n"), {"n": notice_id}
            ).scalars()
        )
    assert recipients == {"c1", "c2", "c3", "c7"}


# -- reminders -------------------------------------------------------------------------------


def _mark_sent(setup: support.Setup, notice_id: int, when: datetime) -> None:
    with setup.database.engine.begin() as connection:
        connection.execute(
            update(Delivery)
            .where(Delivery.notice_id == notice_id)
            .values(state="sent", sent_at=when)
        )


def test_reminders_go_to_those_who_have_not_accepted_after_n_days(setup: support.Setup) -> None:
    created = setup.create()
    notice_id = created.notice.id
    plan = reminders.create_reminder(
        setup.database, notice_id, after_days=14, now=lambda: support.NOW
    )
    assert plan.reminder is None and "has not been sent to anyone yet" in plan.message
    _mark_sent(setup, notice_id, support.NOW)
    too_soon = reminders.create_reminder(
        setup.database, notice_id, after_days=14, now=lambda: support.NOW + timedelta(days=3)
    )
    assert too_soon.reminder is None and "less than 14 days ago" in too_soon.message

    record_acceptance(
        setup.database,
        customer_id="c2",
        policy=support.POLICY,
        version="3",
        method="link",
        notice_id=notice_id,
    )
    later = support.NOW + timedelta(days=15)
    plan = reminders.create_reminder(setup.database, notice_id, after_days=14, now=lambda: later)
    assert plan.reminder is not None and not plan.resumed
    assert plan.reminder.kind == "reminder" and plan.reminder.parent_id == notice_id
    assert plan.reminder.subject.startswith("Reminder: ")
    groups = {g.since: g.count for g in campaign.recipient_groups(setup.database, plan.reminder.id)}
    assert groups == {None: 1, "1": 1}  # c3 and c1; c2 has accepted meanwhile

    again = reminders.create_reminder(setup.database, notice_id, after_days=14, now=lambda: later)
    assert again.resumed and again.reminder is not None
    assert again.reminder.id == plan.reminder.id  # unfinished: resumed, not duplicated

    _mark_sent(setup, plan.reminder.id, later)
    none_yet = reminders.create_reminder(
        setup.database, notice_id, after_days=14, now=lambda: later + timedelta(days=1)
    )
    assert none_yet.reminder is None  # reminded yesterday
    second = reminders.create_reminder(
        setup.database, notice_id, after_days=14, now=lambda: later + timedelta(days=15)
    )
    assert second.reminder is not None and second.reminder.id != plan.reminder.id
    assert second.recipients == 2
    with pytest.raises(NoticeError, match="is itself a reminder"):
        reminders.create_reminder(setup.database, plan.reminder.id, after_days=1)


def test_unknown_notice_is_a_clear_error(sqlite_setup: support.Setup) -> None:
    result = sqlite_setup.cli("notice", "status", "42")
    assert result.exit_code == 2 and "error: no notice 42" in result.stderr


def test_period_error_is_a_publisher_error() -> None:
    assert issubclass(NoticePeriodError, NoticeError)


# -- materiality does not depend on who the recipients are ----------------------------------


def test_material_changes_need_notice_even_with_no_customers_yet(
    notice_repo: Path, tmp_path: Path
) -> None:
    empty = support.prepare(
        notice_repo, f"sqlite:///{tmp_path / 'empty.db'}", customers=(), accepted=()
    )
    soon = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()
    try:
        result = empty.cli("notice", "create", "acceptable-use", "--effective", soon)
        assert result.exit_code == 2, result.output
        assert "acceptable-use version 3 has material changes" in result.stderr
        assert _counts(empty) == (0, 0)
    finally:
        empty.database.dispose()


def test_materiality_is_checked_again_when_sending(
    sqlite_setup: support.Setup, tmp_path: Path
) -> None:
    created = sqlite_setup.create()
    assert created.notice.material is True
    soon = datetime.now(UTC).date() + timedelta(days=7)
    with sqlite_setup.database.engine.begin() as connection:  # a notice recorded as editorial
        connection.execute(
            text("UPDATE notices SET material = :m, effective = :d"), {"m": False, "d": soon}
        )
    result = sqlite_setup.cli(
        "notice", "send", str(created.notice.id), "--out", str(tmp_path / "out")
    )
    assert result.exit_code == 2, result.output
    assert "acceptable-use version 3 has material changes" in result.stderr
    assert not (tmp_path / "out").exists()
    assert campaign.get_notice(sqlite_setup.database, created.notice.id).material is True


# -- the sending rules are the library's, not the CLI's ----------------------------------------


def test_the_library_refuses_to_send_past_the_notice_period(
    sqlite_setup: support.Setup, tmp_path: Path
) -> None:
    from publisher.notices import runner

    created = sqlite_setup.create()  # created 45+ days before it takes effect: in time
    late = datetime.combine(
        support.V3_EFFECTIVE - timedelta(days=10), datetime.min.time(), UTC
    )  # 10 days before it takes effect
    with pytest.raises(NoticePeriodError) as refused:
        runner.send(
            sqlite_setup.database,
            sqlite_setup.settings,
            created.notice,
            mailer="folder",
            outbox_dir=tmp_path / "out",
            warn=lambda _: None,
            now=lambda: late,
        )
    assert f"refusing to send notice {created.notice.id} today" in refused.value.message
    assert f"10 days from today ({late.date().isoformat()})" in refused.value.message
    assert "material changes need 30 days' notice" in refused.value.message
    assert refused.value.hint is not None and "force" in refused.value.hint
    assert not (tmp_path / "out").exists()
    assert campaign.get_notice(sqlite_setup.database, created.notice.id).override is None
    report = runner.send(
        sqlite_setup.database,
        sqlite_setup.settings,
        created.notice,
        mailer="folder",
        outbox_dir=tmp_path / "out",
        warn=lambda _: None,
        now=lambda: late,
        force=True,
    )
    assert report.sent == 3 and report.complete
    override = campaign.get_notice(sqlite_setup.database, created.notice.id).override
    assert override is not None and override.startswith("forced at send:")


def test_the_library_adds_new_customers_when_sending(
    sqlite_setup: support.Setup, tmp_path: Path
) -> None:
    from publisher.notices import runner

    created = sqlite_setup.create()
    import_customers(
        sqlite_setup.database, [CustomerRow(9, "c9", "nia@example.com", "Nia New", "", None)]
    )
    report = runner.send(
        sqlite_setup.database,
        sqlite_setup.settings,
        created.notice,
        mailer="folder",
        outbox_dir=tmp_path / "out",
        warn=lambda _: None,
        now=lambda: support.NOW,
    )
    assert report.topped_up == 1 and report.sent == 4
    assert report.to_dict()["topped_up"] == 1


def test_the_library_previews_one_recipients_email(sqlite_setup: support.Setup) -> None:
    from publisher.notices import preview

    created = sqlite_setup.create()
    shown = preview.preview(
        sqlite_setup.database,
        sqlite_setup.settings,
        created.notice.id,
        "c2",
        warn=lambda _: None,
        now=lambda: support.NOW,
    )
    assert shown.customer_id == "c2" and shown.since == "2"
    assert shown.message["To"] == "Bob Stone <bob@example.org>"
    assert shown.message["From"] == support.MAIL_FROM
    assert "Bob Stone" in shown.content.text and "%%" not in shown.content.text
    assert "/a/" in shown.content.html
    with pytest.raises(NotFoundError):
        preview.preview(
            sqlite_setup.database,
            sqlite_setup.settings,
            created.notice.id,
            "c4",
            warn=lambda _: None,
        )


# -- the notice's effective date is the version's ---------------------------------------------


def test_a_date_other_than_the_versions_is_refused_without_force(
    sqlite_setup: support.Setup,
) -> None:
    other = (support.V3_EFFECTIVE + timedelta(days=20)).isoformat()
    result = sqlite_setup.cli("notice", "create", "acceptable-use", "--effective", other)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert (
        f"error: refusing to create the notice: the notice says effective {other} but "
        f"acceptable-use version 3 is effective {support.V3_EFFECTIVE.isoformat()}"
    ) in result.stderr
    assert "hint: leave out --effective" in result.stderr
    assert _counts(sqlite_setup) == (0, 0)
    forced = sqlite_setup.cli(
        "notice", "create", "acceptable-use", "--effective", other, "--force", "--format", "json"
    )
    assert forced.exit_code == 0, forced.output
    notice = json.loads(forced.stdout)["notice"]
    assert notice["effective"] == other and notice["override"].startswith(
        f"forced: the notice says effective {other}"
    )
    assert notice["forced"] is False  # the notice period itself was met: send checks it again


def test_the_effective_date_defaults_to_the_versions(sqlite_setup: support.Setup) -> None:
    result = sqlite_setup.cli("notice", "create", "acceptable-use", "--format", "json")
    assert result.exit_code == 0, result.output
    notice = json.loads(result.stdout)["notice"]
    assert notice["effective"] == support.V3_EFFECTIVE.isoformat()
    assert notice["override"] is None and json.loads(result.stdout)["warnings"] == []
