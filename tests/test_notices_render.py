"""Notice emails: golden files for the example Acceptable Use Policy (customers who last
accepted version 1, version 2, or none), personal values escaped only where they must be,
and the short wording of changes.

The golden files under ``tests/golden/notices/`` are the emails exactly as a customer gets
them (headers, text part, HTML part); rewrite them with ``UPDATE_GOLDEN=1`` and review the
diff for wording.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import notices_support as support
import pytest
from goldens import check_golden

from publisher.config import load_settings
from publisher.diff import Change
from publisher.document import Clause
from publisher.history import PolicyRepo
from publisher.notices import campaign
from publisher.notices.changes import GitChanges
from publisher.notices.mailers.base import Batch
from publisher.notices.mailers.message import build_message
from publisher.notices.render import (
    NoticeRenderer,
    change_item,
    default_subject,
    make_sender,
    personal_values,
    word_changes,
)
from publisher.store import migrate
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import record_acceptance
from publisher.store.versions import stored_versions, sync_versions

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "notices"
CREATED = datetime(2026, 1, 16, 10, 0, tzinfo=UTC)
SENT = datetime(2026, 1, 19, 8, 0, tzinfo=UTC)


def has_example_history() -> bool:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "log", "--format=%H", "--", "policies/acceptable-use.md"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return False
    return len(out) >= 3


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NoticeRenderer, Database]]:
    """The example acceptable-use policy (this repository's history), customers who last
    accepted version 1 and version 2, and a notice for version 3."""
    if not has_example_history():
        pytest.skip("needs this repository's git history of policies/ (a full clone)")
    tmp = tmp_path_factory.mktemp("example")
    settings = load_settings(
        ROOT,
        env=support.notice_env(),
        overrides={
            "database_url": f"sqlite:///{tmp / 'store.db'}",
            "cache_dir": str(tmp / "cache"),
            "policies": "policies/**/*.md",
        },
    )
    database = migrate.open_store(settings)
    sync_versions(database, settings, slugs=["acceptable-use"])
    import_customers(
        database,
        [
            CustomerRow(2, "acme", "legal@acme.example", "Ana García", "Acme Hosting Ltd"),
            CustomerRow(3, "blue", "ops@blue.example", "Ben O'Neil", "Blue & Sons"),
            CustomerRow(4, "cove", "it@cove.example", "Cleo Park", "Cove"),
        ],
    )
    record_acceptance(
        database, customer_id="acme", policy="acceptable-use", version="1", method="import"
    )
    record_acceptance(
        database, customer_id="blue", policy="acceptable-use", version="2", method="import"
    )
    with PolicyRepo.open(settings) as repo:
        source = GitChanges(repo)
        created = campaign.create_notice(
            database,
            slug="acceptable-use",
            label="3",
            effective=date(2026, 3, 1),
            source=source,
            default_notice_days=30,
            now=lambda: CREATED,
            subject_for=default_subject,
        )
        sender = make_sender(
            "Northwind Cloud Legal <legal@northwind.example>",
            "",
            "legal@northwind.example",
            required=True,
        )
        renderer = NoticeRenderer(
            created.notice,
            versions=stored_versions(database, slug="acceptable-use"),
            source=source,
            signer=support.fixed_signer(),
            accept_url="https://accept.northwind.example",
            site_url="https://policies.northwind.example",
            sender=sender,
            today=SENT.date(),
        )
        for since in (None, "1", "2"):
            renderer.template(since)  # computed while the repository is open
        yield renderer, database
    database.dispose()


def _email(renderer: NoticeRenderer, database: Database, customer: str) -> tuple[str, str]:
    row = campaign.recipient_row(database, renderer.notice.id, customer)
    recipient = renderer.recipient(row.delivery_id, row.customer_id, row.email, row.name)
    template = renderer.template(row.since)
    batch = Batch(
        id="0123456789abcdef",
        notice_id=renderer.notice.id,
        template=template,
        recipients=(recipient,),
        sender=renderer.sender.address,
        reply_to=renderer.sender.reply_to,
    )
    message = build_message(batch, recipient, date=SENT)
    headers = "".join(
        f"{h}: {message[h]}\n" for h in ("From", "To", "Subject", "Date", "Message-ID")
    )
    content = recipient.personalise(template)
    return headers + "\n" + content.text, content.html


@pytest.mark.parametrize(
    ("customer", "name"), [("acme", "since-1"), ("blue", "since-2"), ("cove", "never-accepted")]
)
def test_golden_emails(example: tuple[NoticeRenderer, Database], customer: str, name: str) -> None:
    renderer, database = example
    text, html = _email(renderer, database, customer)
    check_golden(GOLDEN / f"acceptable-use-v3-{name}.txt", text)
    check_golden(GOLDEN / f"acceptable-use-v3-{name}.html", html)


def test_each_group_is_told_what_changed_since_its_version(
    example: tuple[NoticeRenderer, Database],
) -> None:
    renderer, database = example
    since_1, _ = _email(renderer, database, "acme")
    since_2, _ = _email(renderer, database, "blue")
    # v2 added the crypto-mining rule: news for those on v1, not for those on v2.
    assert "mine cryptocurrency" in since_1 and "mine cryptocurrency" not in since_2
    assert "You last accepted version 1" in since_1
    assert "/acceptable-use/changes/1..3/" in since_1
    assert "/acceptable-use/changes/2..3/" in since_2
    assert "Version 2 (effective 1 July 2025)" in since_1  # the version in between
    assert "Dear Ana García," in since_1


def test_a_version_in_force_is_announced_as_in_effect_since(
    example: tuple[NoticeRenderer, Database],
) -> None:
    renderer, _ = example
    coming = renderer.template("2")
    assert "Version 3 takes effect on 1 March 2026." in coming.text
    assert "takes effect on 1 March 2026" in coming.html
    late = NoticeRenderer(
        renderer.notice,
        versions=renderer.versions,
        source=renderer.source,
        signer=support.fixed_signer(),
        accept_url=renderer.accept_url,
        site_url=renderer.site_url,
        sender=renderer.sender,
        today=date(2026, 3, 2),
    )
    for part in (late.template("2").text, late.template("2").html):
        assert "in effect since 1 March 2026" in part
        assert "We have updated our Acceptable Use Policy." in part
        assert "takes effect" not in part
    on_the_day = NoticeRenderer(
        renderer.notice,
        versions=renderer.versions,
        source=renderer.source,
        signer=support.fixed_signer(),
        accept_url=renderer.accept_url,
        site_url=renderer.site_url,
        sender=renderer.sender,
        today=date(2026, 3, 1),
    )
    assert "in effect since 1 March 2026" in on_the_day.template("2").text


def test_the_subject_of_a_version_in_force_says_since_when() -> None:
    from publisher.store.versions import StoredVersion

    version = StoredVersion(
        slug="aup",
        label="3",
        position=2,
        title="Acceptable Use Policy",
        summary=None,
        effective=date(2026, 3, 1),
        commit="c",
        path="p",
        sha256="s",
        body="",
        synced_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert default_subject(version, date(2026, 3, 1), date(2026, 1, 16)) == (
        "Changes to our Acceptable Use Policy, taking effect on 1 March 2026"
    )
    assert default_subject(version, date(2026, 3, 1), date(2026, 3, 5)) == (
        "Changes to our Acceptable Use Policy, in effect since 1 March 2026"
    )


def test_the_group_template_is_rendered_once(example: tuple[NoticeRenderer, Database]) -> None:
    renderer, _ = example
    assert renderer.template("1") is renderer.template("1")


def test_personal_values_are_escaped_in_html_only() -> None:
    text_values, html_values = personal_values(
        'Bob <b>"Stone" & Co</b>', "https://a.example/a/x?y=1&z=2"
    )
    assert text_values["%%name%%"] == 'Bob <b>"Stone" & Co</b>'
    assert html_values["%%name_html%%"] == "Bob &lt;b&gt;&quot;Stone&quot; &amp; Co&lt;/b&gt;"
    assert html_values["%%accept_url_html%%"] == "https://a.example/a/x?y=1&amp;z=2"


def test_template_text_is_escaped_in_html(example: tuple[NoticeRenderer, Database]) -> None:
    renderer, _ = example
    html = renderer.template("1").html
    assert "<script" not in html
    assert "Blue &amp; Sons" not in html  # no personal data in the shared template
    assert "%%name_html%%" in html and "%%accept_url_html%%" in html
    assert "%%name%%" not in html  # the text placeholders never reach the HTML part


def _clause(text: str) -> Clause:
    return Clause(id="3", kind="item", number="3.", heading=None, text=text)


def test_word_changes_are_said_shortly() -> None:
    ops = (("=", "within "), ("-", "14"), ("+", "30"), ("=", " days, "), ("+", "in writing"))
    assert word_changes(ops) == ("“14” → “30”", "added “in writing”")
    long = (("-", " ".join(["word"] * 11)), ("+", "x"))
    assert word_changes(long) == ()  # too long to say shortly: the redline shows it
    many = tuple(op for i in range(4) for op in (("=", f"a{i} "), ("-", f"b{i}"), ("+", f"c{i}")))
    assert word_changes(many) == ()


def test_change_items_name_the_kind_and_clause() -> None:
    change = Change(
        kind="modified",
        material=True,
        old=_clause("Pay in 14 days."),
        new=_clause("Pay in 30 days."),
        inline=(("=", "Pay in "), ("-", "14"), ("+", "30"), ("=", " days.")),
        citation="3 “Pay in 30 days.”",
    )
    item = change_item(change)
    assert (item.title, item.citation, item.words) == (
        "Changed",
        "3 “Pay in 30 days.”",
        ("“14” → “30”",),
    )
