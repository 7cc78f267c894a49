"""``publisher audit``: verify the acceptance ledger's hash chain, texts, times and triggers."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.cli.db import database_url_option, notify, open_database, store_settings
from publisher.counting import counted
from publisher.errors import PublisherError
from publisher.store.audit import audit_ledger
from publisher.store.certificate import verify_certificate
from publisher.store.checkpoints import ANCHOR_REF, anchor_problems, read_anchors, write_anchor
from publisher.store.ledger import chain_head
from publisher.store.signing import fingerprint, known_public_key, signing_key


class ChainBroken(PublisherError):
    """The ledger failed verification (the problems were printed)."""

    exit_code = 1


def _anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise click.BadParameter("expected SEQ:HASH as printed by `publisher audit head`")
    return int(seq), digest.lower()


@click.group("audit")
def audit_group() -> None:
    """Check the tamper-evident acceptance ledger."""


@audit_group.command("verify")
@click.option(
    "--anchor",
    default=None,
    metavar="SEQ:HASH",
    help="A head printed earlier by `publisher audit head`, kept outside the "
    "database: that record must still be there, unchanged.",
)
@click.option(
    "--anchors",
    "use_anchors",
    is_flag=True,
    help=f"Also check the chain against every signed anchor in {ANCHOR_REF} of the "
    "policy repository (written by `publisher audit anchor` and the service).",
)
@database_url_option
@FORMAT_OPTION
@pass_app
def verify_command(
    app: App, anchor: str | None, use_anchors: bool, database_url: str | None, fmt: str
) -> None:
    """Re-compute every record's hash and link; name the first bad record.

    Also re-hashes every stored policy text against its version and the records that accepted
    it (and against git, when the repository has the version's commit), checks that record
    times never decrease along the chain and that the append-only triggers are in place.
    Exit status 0 when all holds, 1 when anything was edited, deleted, reordered or backdated.
    """
    expected = _anchor(anchor)
    settings = app.settings
    logged = read_anchors(settings.root) if use_anchors else []
    signatures = anchor_problems(logged, known_public_key(settings))
    with open_database(app, database_url, create=False) as database:
        result = audit_ledger(
            database,
            anchor=expected,
            repo_root=settings.root,
            anchors=[(a.seq, a.hash) for a in logged if a.signed],
            anchor_problems=signatures,
        )
    chain = result.chain
    if fmt == "json":
        echo_json(result.to_dict())
    elif result.ok:
        checked = f"; {counted(result.anchors, 'anchor')} checked" if use_anchors else ""
        click.echo(
            f"ledger intact: {counted(chain.records, 'record')}, head seq {chain.head_seq} "
            f"{chain.head_hash}{checked}"
        )
    else:
        for kind, message in result.messages:
            click.echo(f"  {kind}: {message}", err=True)
    if not result.ok:
        raise ChainBroken(
            f"ledger verification failed: {result.messages[0][1]}",
            hint="restore the database from a backup and compare; the records above were "
            "changed outside publisher",
        )


@audit_group.command("head")
@database_url_option
@FORMAT_OPTION
@pass_app
def head_command(app: App, database_url: str | None, fmt: str) -> None:
    """Print the ledger's head as SEQ:HASH (keep it elsewhere; pass it to verify --anchor)."""
    with open_database(app, database_url, create=False) as database:
        seq, digest = chain_head(database)
    if fmt == "json":
        echo_json({"seq": seq, "hash": digest, "anchor": f"{seq}:{digest}"})
        return
    click.echo(f"{seq}:{digest}")


@audit_group.command("anchor")
@database_url_option
@FORMAT_OPTION
@pass_app
def anchor_command(app: App, database_url: str | None, fmt: str) -> None:
    """Sign the ledger's head and append it to the anchor log (the ref
    refs/publisher/anchors of the policy repository; push it with `git push origin
    refs/publisher/anchors`)."""
    settings = store_settings(app, database_url)
    key = signing_key(settings, warn=notify)
    with open_database(app, database_url, create=False) as database:
        anchor = write_anchor(settings.root, database, key)
        head = chain_head(database)
    if fmt == "json":
        echo_json(
            {
                "written": anchor is not None,
                "ref": ANCHOR_REF,
                "anchor": anchor.to_dict() if anchor else None,
                "head": {"seq": head[0], "hash": head[1]},
            }
        )
        return
    if anchor is None:
        click.echo(
            f"nothing to anchor: the last anchor already names seq {head[0]}"
            if head[0]
            else "nothing to anchor: the ledger is empty"
        )
        return
    click.echo(
        f"anchored seq {anchor.seq} {anchor.hash} in {ANCHOR_REF} (key {fingerprint(anchor.key)})"
    )


@audit_group.command("verify-evidence")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    default=None,
    metavar="BASE64",
    help="The public key the certificate must be signed with (default: the "
    "evidence_key's, when this machine has it; else any key, named in the output).",
)
@FORMAT_OPTION
@pass_app
def verify_evidence_command(app: App, file: Path, public_key: str | None, fmt: str) -> None:
    """Check a signed evidence certificate offline: its Ed25519 signature, each accepted
    text against its record's content_sha256, each record's hash and the anchors'
    signatures. Exit status 0 when all holds, 1 otherwise."""
    trusted = public_key or known_public_key(app.settings)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise PublisherError(f"cannot read: {exc.strerror}", path=file) from None
    check = verify_certificate(data, trusted_key=trusted)
    if fmt == "json":
        echo_json(check.to_dict())
    elif check.ok:
        pinned = "" if trusted else " (key not pinned: pass --public-key to require it)"
        click.echo(
            f"certificate valid: {counted(len(check.to_dict()['acceptances']), 'record')}"
            f" for customer {check.to_dict()['customer']}, signed by key "
            f"{fingerprint(check.key)}{pinned}"
        )
    else:
        for problem in check.problems:
            click.echo(f"  {problem}", err=True)
    if not check.ok:
        raise ChainBroken(
            f"{file}: certificate verification failed: {check.problems[0]}",
            hint="the certificate was changed after it was signed, or was signed by another key",
        )


COMMANDS = [audit_group]
