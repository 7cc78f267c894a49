"""``publisher acceptance``: signed links, reports and evidence exports."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.cli.db import database_url_option, notify, open_database, store_settings, sync_policy
from publisher.counting import counted
from publisher.errors import GitError, NotFoundError, PublisherError
from publisher.formats.output import refuse_terminal, write_output
from publisher.links import LinkClaims, link_url, signer_for
from publisher.notices.campaign import get_notice
from publisher.store.certificate import certificate_pdf
from publisher.store.checkpoints import read_anchors
from publisher.store.customers import get_customer
from publisher.store.db import Database
from publisher.store.evidence import collect_evidence, evidence_document, write_evidence
from publisher.store.history_import import HistoryFileError, count_rows, import_file
from publisher.store.org_reports import (
    organisation_report,
    render_organisations_csv,
    render_organisations_text,
)
from publisher.store.organisations import acting_for
from publisher.store.reports import acceptance_report, render_csv, render_text
from publisher.store.signing import signing_key
from publisher.store.versions import get_version


@click.group("acceptance")
def acceptance_group() -> None:
    """Acceptance of policy versions: links, reports, evidence."""


def _notice_version(database: Database, notice_id: int, slug: str, label: str | None) -> str:
    """The version label of notice ``notice_id``, which must be for ``slug`` (and ``label``
    when given): a link with any other notice would only open a 'no longer valid' page."""
    notice = get_notice(database, notice_id)
    if notice.slug != slug or (label is not None and notice.version_label != label):
        raise NotFoundError(
            f"notice {notice_id} is for {notice.slug} version {notice.version_label}, "
            f"not {slug if notice.slug != slug else label}",
            hint="leave out --version to use the notice's version, or see `publisher notice list`",
        )
    return notice.version_label


@acceptance_group.command("link")
@click.option("--customer", "customer_id", required=True, metavar="ID", help="Customer id.")
@click.option("--policy", "slug", required=True, metavar="SLUG", help="Policy slug.")
@click.option(
    "--version",
    "label",
    default=None,
    metavar="V",
    help="Version label (default: the current version).",
)
@click.option(
    "--notice",
    "notice_id",
    type=int,
    default=None,
    metavar="ID",
    help="The notice this link belongs to (optional; it must exist, and its "
    "version is the default).",
)
@click.option(
    "--on-behalf-of",
    "organisation",
    default=None,
    metavar="ORG",
    help="The organisation the customer (its member) accepts for: the record is ORG's.",
)
@click.option(
    "--allow-superseded",
    is_flag=True,
    help="Sign a link for a version that is no longer the current one.",
)
@database_url_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format; json prints one JSON document on stdout.",
)
@pass_app
def link_command(
    app: App,
    customer_id: str,
    slug: str,
    label: str | None,
    notice_id: int | None,
    organisation: str | None,
    allow_superseded: bool,
    database_url: str | None,
    fmt: str,
) -> None:
    """Print a signed acceptance link for one customer and policy version."""
    settings = store_settings(app, database_url)
    with open_database(app, database_url) as database:
        sync_policy(database, settings, slug)
        if notice_id is not None:
            label = _notice_version(database, notice_id, slug, label)
        version = get_version(database, slug, label)
        current = get_version(database, slug)
        customer = get_customer(database, customer_id)
        if organisation is not None:
            acting_for(database, customer_id, organisation)
    if version.label != current.label and not allow_superseded:
        raise PublisherError(
            f"{version.slug} version {version.label} is superseded by version {current.label}",
            hint=f"leave out --version to link to version {current.label}, or pass "
            "--allow-superseded to ask for the old version on purpose (the page says it is "
            "superseded)",
        )
    claims = LinkClaims(customer.id, version.slug, version.label, notice_id, organisation)
    token = signer_for(settings, warn=notify).sign(claims)
    url = link_url(settings.accept_url, token)
    expires = datetime.now(UTC) + timedelta(days=settings.link_max_age_days)
    if fmt == "json":
        echo_json(
            {
                "url": url,
                "token": token,
                "customer": customer.id,
                "policy": version.slug,
                "version": version.label,
                "notice": notice_id,
                "on_behalf_of": organisation,
                "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
        return
    click.echo(
        f"{version.slug} {version.label} for {customer.id}, valid until {expires:%Y-%m-%d}:",
        err=True,
    )
    click.echo(url)


@acceptance_group.command("report")
@click.option("--policy", "slug", default=None, metavar="SLUG", help="Only this policy.")
@click.option("--version", "label", default=None, metavar="V", help="Only this version label.")
@click.option("--all-pending", is_flag=True, help="List every pending customer in text output.")
@click.option(
    "--by",
    type=click.Choice(["customer", "organisation"]),
    default="customer",
    show_default=True,
    help="organisation: one line per organisation (who accepted on its behalf, its members).",
)
@database_url_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="text, json (one document) or csv (one row per customer).",
)
@pass_app
def report_command(
    app: App,
    slug: str | None,
    label: str | None,
    all_pending: bool,
    by: str,
    database_url: str | None,
    fmt: str,
) -> None:
    """Accepted, pending and acceptance rate per policy version, and who is pending; with
    --by organisation, the standing of each organisation instead."""
    if by == "organisation":
        with open_database(app, database_url, create=False) as database:
            per_organisation = organisation_report(database, policy=slug, version=label)
        if fmt == "json":
            echo_json(per_organisation.to_dict())
        elif fmt == "csv":
            sys.stdout.write(render_organisations_csv(per_organisation))
        else:
            click.echo(render_organisations_text(per_organisation), nl=False)
        return
    with open_database(app, database_url, create=False) as database:
        report = acceptance_report(database, policy=slug, version=label)
    if fmt == "json":
        echo_json(report.to_dict())
    elif fmt == "csv":
        sys.stdout.write(render_csv(report))
    else:
        click.echo(render_text(report, all_pending=all_pending), nl=False)


@acceptance_group.command("evidence")
@click.argument("customer_id", metavar="CUSTOMER")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write a folder (evidence.json, texts/, README.txt, SHA256SUMS) instead of printing JSON.",
)
@click.option(
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE.pdf",
    help="With --format pdf: the file to write (default: stdout, never a terminal).",
)
@database_url_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "pdf"]),
    default="text",
    show_default=True,
    help="text or json (see above), or pdf: a certificate signed "
    "with the evidence_key, checked by `publisher audit verify-evidence FILE`.",
)
@pass_app
def evidence_command(
    app: App,
    customer_id: str,
    out: Path | None,
    output: Path | None,
    database_url: str | None,
    fmt: str,
) -> None:
    """Export one customer's evidence: their acceptance records, the exact text each
    accepted, the notices sent to them and their delivery events.

    Without --out the evidence is one JSON document on stdout (whatever --format says);
    with --out, text prints the folder and json a document naming every file written;
    --format pdf writes a signed certificate. Every text is re-hashed against its record
    first: a mismatch is an error and nothing is written."""
    settings = store_settings(app, database_url)
    if fmt == "pdf" and output is None:
        refuse_terminal(sys.stdout, "pdf")
    with open_database(app, database_url, create=False) as database:
        evidence = collect_evidence(database, customer_id, repo_root=settings.root)
    if fmt == "pdf":
        try:
            anchors = read_anchors(settings.root)
        except GitError:
            anchors = []
        data = certificate_pdf(evidence, anchors, signing_key(settings, warn=notify))
        if output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            write_output(output, data)
            click.echo(
                f"{counted(len(evidence.records), 'acceptance record')}; signed "
                f"certificate written to {output}",
                err=True,
            )
        return
    if out is None:
        echo_json(evidence_document(evidence))
        return
    paths = write_evidence(evidence, out)
    if fmt == "json":
        echo_json(
            {
                "customer": customer_id,
                "out": str(out),
                "acceptances": len(evidence.records),
                "notices": len(evidence.deliveries),
                "files": sorted(str(p.relative_to(out)) for p in paths),
            }
        )
        return
    click.echo(
        f"{counted(len(evidence.records), 'acceptance record')}, "
        f"{counted(len(evidence.deliveries), 'notice')}; "
        f"{counted(len(paths), 'file')} written",
        err=True,
    )
    click.echo(str(out))


@acceptance_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--source",
    default=None,
    metavar="TEXT",
    help="Where the acceptances were given, for rows whose source column is empty "
    "(e.g. 'old signup form').",
)
@click.option("--dry-run", is_flag=True, help="Check every row and say what would be recorded.")
@database_url_option
@FORMAT_OPTION
@pass_app
def import_command(
    app: App, file: Path, source: str | None, dry_run: bool, database_url: str | None, fmt: str
) -> None:
    """Import acceptances made before this tool from FILE.csv:
    customer,policy,version,accepted_at[,source,acting_user].

    Every row is checked first (unknown customer, policy or version, a time without a UTC
    offset or in the future, duplicate rows, an acting_user who is not a member of the
    row's organisation) and nothing is recorded while any is bad. Each
    row becomes a ledger record of method import, with the import's own time beside the
    claimed one; rows already in the ledger are skipped, so running it again is safe."""

    def open_store() -> Database:
        return open_database(app, database_url, create=False)

    try:
        if fmt == "json" or dry_run:
            summary = import_file(open_store, file, default_source=source, dry_run=dry_run)
        else:
            with click.progressbar(
                length=count_rows(file), label="importing", file=sys.stderr
            ) as bar:
                summary = import_file(open_store, file, default_source=source, progress=bar.update)
    except HistoryFileError as exc:
        if fmt == "json":
            problems = [{"line": p.line, "message": p.message} for p in exc.problems]
            echo_json({"file": str(file), "imported": False, "invalid": problems})
        raise
    if fmt == "json":
        echo_json(summary.to_dict())
        return
    verb = "would record" if dry_run else "recorded"
    click.echo(
        f"{file}: {counted(summary.rows, 'row')}; {verb} {counted(summary.imported, 'acceptance')}"
        f", {summary.skipped} already in the ledger"
    )


COMMANDS = [acceptance_group]
