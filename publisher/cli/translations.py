"""``publisher translations``: each translation, the source version it renders, how far it
lags and which clauses changed since (the library: :mod:`publisher.translations`)."""

from __future__ import annotations

from datetime import date, datetime

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, echo_table, pass_app


@click.command("translations")
@click.argument("policy", required=False)
@click.option("--lang", "language", metavar="TAG", help="Only the translations in this language.")
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="The day whose versions in force decide warning or error (default: today).",
)
@FORMAT_OPTION
@pass_app
def translations_command(
    app: App, policy: str | None, language: str | None, today: datetime | None, fmt: str
) -> None:
    """List the translations (of POLICY, a slug or path): language, the source version each
    renders (from front matter `translation_of`, else inferred from history, marked *), how
    many source versions it is behind, and the source clauses changed since, with the
    translation's line of each. A lagging translation is a warning while the newer source
    version is still to take effect, an error once it is in force."""
    from publisher.cli.policies import find_policy, open_repo
    from publisher.translations import statuses

    day = today.date() if today is not None else date.today()
    with open_repo(app) as repo:
        name = find_policy(repo, policy).path if policy else None
        found = statuses(
            repo,
            name,
            language=language,
            today=day,
            grace_days=app.settings.translation_lag_grace_days,
        )
        entries = [s.to_dict() for s in found]
    if fmt == "json":
        echo_json({"today": day.isoformat(), "translations": entries})
        return
    if not entries:
        click.echo("no translations" + (f" of {policy}" if policy else ""), err=True)
        return
    echo_table(
        ["SLUG", "LANG", "VERSION", "RENDERS", "BEHIND", "STATUS", "CLAUSES TO REVISIT", "PATH"],
        [
            [
                e["slug"],
                e["language"],
                e["version"],
                (e["renders"] or f"?{e['declared']}") + ("*" if e["inferred"] else ""),
                str(e["behind"]),
                e["severity"] or "current",
                ", ".join(c["id"] for c in e["clauses"]) or "-",
                e["path"],
            ]
            for e in entries
        ],
    )


COMMANDS = [translations_command]
