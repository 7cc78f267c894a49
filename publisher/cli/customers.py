"""``publisher customers``: import customers from CSV, list them, erase one, apply the
retention period."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.cli.db import database_url_option, open_database
from publisher.counting import counted
from publisher.errors import ConfigError
from publisher.store.customers import (
    KINDS,
    CustomerFileError,
    CustomerInfo,
    RowProblem,
    customer_row,
    import_file,
    list_customers,
)
from publisher.store.erasure import apply_retention, erase_customer
from publisher.store.organisations import members, save_customer


def _problems(problems: Iterable[RowProblem]) -> list[dict[str, object]]:
    return [{"line": p.line, "message": p.message} for p in problems]


@click.group("customers")
def customers_group() -> None:
    """Customers: the people and companies who accept policies."""


@customers_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid rows even when some are invalid (those are listed).",
)
@database_url_option
@FORMAT_OPTION
@pass_app
def import_command(
    app: App, file: Path, skip_invalid: bool, database_url: str | None, fmt: str
) -> None:
    """Import customers from FILE.csv: columns id,email,name,company[,locale,kind,organisation].

    Every row is checked first; any invalid row (bad email, duplicate id, missing field) is
    reported with its line number and nothing is imported, unless --skip-invalid. Importing
    again updates customers by id.
    """
    with open_database(app, database_url) as database:
        try:
            result = import_file(database, file, skip_invalid=skip_invalid)
        except CustomerFileError as exc:
            if fmt == "json":
                echo_json(
                    {
                        "file": str(file),
                        "imported": False,
                        "error": exc.message,
                        "invalid": _problems(exc.problems),
                    }
                )
            raise
    for problem in result.skipped:
        click.echo(f"skipped {file}:{problem.line}: {problem.message}", err=True)
    if fmt == "json":
        echo_json(
            {
                "file": str(file),
                "imported": True,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "skipped": _problems(result.skipped),
                "invalid": _problems(result.skipped),
            }
        )
        return
    skipped = f", {counted(len(result.skipped), 'invalid row')} skipped" if result.skipped else ""
    click.echo(
        f"{file}: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged{skipped}"
    )


@customers_group.command("list")
@database_url_option
@FORMAT_OPTION
@pass_app
def list_command(app: App, database_url: str | None, fmt: str) -> None:
    """List stored customers."""
    with open_database(app, database_url, create=False) as database:
        customers = list_customers(database)
    if fmt == "json":
        echo_json({"customers": [c.to_dict() for c in customers]})
        return
    for c in customers:
        click.echo(_line(c))


def _line(c: CustomerInfo) -> str:
    company = f", {c.company}" if c.company else ""
    kind = "  [organisation]" if c.kind == "organisation" else ""
    member = f"  (member of {c.organisation})" if c.organisation else ""
    return f"{c.id}  {c.name} <{c.email}>{company}{kind}{member}"


@customers_group.command("add")
@click.argument("customer_id", metavar="ID")
@click.option("--email", required=True, help="Email address (where notices go).")
@click.option("--name", required=True, help="Name of the person or organisation.")
@click.option("--company", default="", help="Company name (optional).")
@click.option("--locale", default=None, help="Language tag, e.g. en-GB (optional).")
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="person",
    show_default=True,
    help="An organisation's members may accept on its behalf.",
)
@click.option(
    "--organisation",
    "organisation",
    default=None,
    metavar="ORG",
    help="The organisation (a customer of kind organisation) this person belongs to.",
)
@database_url_option
@FORMAT_OPTION
@pass_app
def add_command(
    app: App,
    customer_id: str,
    email: str,
    name: str,
    company: str,
    locale: str | None,
    kind: str,
    organisation: str | None,
    database_url: str | None,
    fmt: str,
) -> None:
    """Create or update one customer ID, checked as an imported row is. With --kind
    organisation it is an organisation; with --organisation ORG a person belongs to ORG
    and may accept on its behalf (the record is ORG's, naming the person)."""
    values = {"id": customer_id, "email": email, "name": name, "company": company}
    values.update({"locale": locale or "", "kind": kind, "organisation": organisation or ""})
    row = customer_row(values)
    with open_database(app, database_url) as database:
        saved = save_customer(database, row)
    if fmt == "json":
        echo_json({"outcome": saved.outcome, "customer": saved.customer.to_dict()})
        return
    click.echo(f"{saved.outcome}: {_line(saved.customer)}")


@customers_group.command("members")
@click.argument("organisation_id", metavar="ORG")
@database_url_option
@FORMAT_OPTION
@pass_app
def members_command(app: App, organisation_id: str, database_url: str | None, fmt: str) -> None:
    """List the members of organisation ORG: the people who may accept on its behalf."""
    with open_database(app, database_url, create=False) as database:
        found = members(database, organisation_id)
    if fmt == "json":
        echo_json({"organisation": organisation_id, "members": [c.to_dict() for c in found]})
        return
    click.echo(f"{organisation_id}: {counted(len(found), 'member')}", err=True)
    for c in found:
        click.echo(_line(c))


@customers_group.command("erase")
@click.argument("customer_id", metavar="ID")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@database_url_option
@FORMAT_OPTION
@pass_app
def erase_command(
    app: App, customer_id: str, yes: bool, database_url: str | None, fmt: str
) -> None:
    """Erase a customer's personal data and record the erasure in the ledger: name, email
    and company become a pseudonym (the id stays); the outbox rows and delivery events lose
    the email address, provider payloads and errors; the IP addresses, user agents and
    acting users of their acceptance records are deleted with their salts (the chain holds
    only salted commitments to them, so it still verifies). Records written before
    migration 0007 keep their IP address and user agent inside their hash: they are
    counted."""
    if not yes and fmt != "json":
        click.confirm(
            f"Erase the personal data of customer {customer_id}? This cannot be undone",
            abort=True,
            err=True,
        )
    with open_database(app, database_url, create=False) as database:
        result = erase_customer(database, customer_id)
    if fmt == "json":
        echo_json(result.to_dict())
        return
    recorded = (
        f"; erasure recorded as ledger seq {result.erasure_record.seq}"
        if result.erasure_record
        else "; nothing was left to erase"
    )
    click.echo(
        f"erased customer {customer_id}: name, email and company, the IP address and user "
        f"agent of {counted(result.records_erased, 'acceptance record')}; "
        f"{counted(result.deliveries, 'delivery', 'deliveries')}, "
        f"{counted(result.events, 'delivery event')}{recorded}"
    )
    if result.records_keeping_ip:
        click.echo(
            f"note: {counted(result.records_keeping_ip, 'older acceptance record')} keep "
            "their IP address and user agent: they are inside the hash chain (record "
            "format 1 or 2)",
            err=True,
        )


@customers_group.command("retain")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Keep IP addresses and user agents this many days (default: the setting retention_days).",
)
@click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
@database_url_option
@FORMAT_OPTION
@pass_app
def retain_command(
    app: App, days: int | None, dry_run: bool, database_url: str | None, fmt: str
) -> None:
    """Apply the retention period: erase the IP address and user agent of every acceptance
    record (and app call) older than retention_days days. The chain keeps their salted
    commitments and still verifies. Run it daily, e.g. from cron."""
    days = days if days is not None else app.settings.retention_days
    if days < 1:
        raise ConfigError(
            "no retention period: the setting retention_days is 0",
            hint="set retention_days (env PUBLISHER_RETENTION_DAYS) or pass --days N",
        )
    with open_database(app, database_url, create=False) as database:
        result = apply_retention(database, days, dry_run=dry_run)
    if fmt == "json":
        echo_json(result.to_dict())
        return
    verb = "would erase" if dry_run else "erased"
    click.echo(
        f"{verb} the IP address and user agent of "
        f"{counted(result.records, 'acceptance record')} and "
        f"{counted(result.app_calls, 'app call')} older than {counted(days, 'day')} "
        f"(before {result.cutoff:%Y-%m-%d %H:%M} UTC)"
    )
    if result.records_keeping_ip:
        click.echo(
            f"note: {counted(result.records_keeping_ip, 'older acceptance record')} keep "
            "their IP address and user agent: they are inside the hash chain (record "
            "format 1 or 2)",
            err=True,
        )


COMMANDS = [customers_group]
