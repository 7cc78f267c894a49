"""``publisher import``: an existing policy (Word, web page, copied text) as a policy file."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.app import App, echo_json, pass_app


@click.command("import")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the policy file here (default: print it on stdout).",
)
@click.option(
    "--kind",
    type=click.Choice(["docx", "html", "text"]),
    default=None,
    help="What SOURCE is (default: from its suffix: .docx, .html/.htm, .txt).",
)
@click.option("--force", is_flag=True, help="Overwrite --output when it exists.")
@click.option(
    "--commit",
    "commit",
    is_flag=True,
    help="Commit --output to the policy repository as the policy's first version.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON document (markdown, title, effective, "
    "unplaced, output, commit) on stdout.",
)
@pass_app
def import_command(
    app: App, source: str, output: str | None, kind: str | None, force: bool, commit: bool, fmt: str
) -> None:
    """Turn an existing policy into a policy file (Markdown with front matter).

    \b
    publisher import aup.docx -o policies/acceptable-use.md
    publisher import saved-page.html -o policies/terms.md --commit
    publisher import copied.txt                  (prints the Markdown)

    Reads a Word document, a saved web page (main content only: navigation, headers, footers
    and scripts are dropped) or plain text copied from a website (numbered obligations,
    bulleted examples "•", "-", "o", "*", capitalised headings, "Effective date"/"Last
    updated" lines). Check the result with `publisher show`; what could not be placed as
    written is listed on stderr. Refuses to overwrite --output without --force.
    """
    from publisher.formats.output import write_output
    from publisher.importing import import_file
    from publisher.importing.commit import commit_import

    if commit and output is None:
        raise click.UsageError("--commit needs --output (where the policy file goes)")
    imported = import_file(source, kind=kind)
    sha: str | None = None
    if commit:
        assert output is not None
        sha = commit_import(Path(app.repo), Path(output), imported, source=source, force=force)
    elif output is not None:
        write_output(output, imported.markdown.encode(), force=force)
    if fmt == "json":
        echo_json(
            {
                "source": source,
                "output": output,
                "commit": sha,
                "title": imported.title,
                "effective": imported.effective.isoformat() if imported.effective else None,
                "markdown": imported.markdown,
                "unplaced": list(imported.unplaced),
            }
        )
        return
    if output is None:
        click.echo(imported.markdown, nl=False)
    for message in imported.unplaced:
        click.echo(f"not placed as written: {message}", err=True)
    if output is not None:
        done = f"committed as {sha[:12]}" if sha else "written"
        click.echo(f"{output}: {done} ({len(imported.unplaced)} to check)", err=True)


COMMANDS = [import_command]
