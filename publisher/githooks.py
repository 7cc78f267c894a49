"""Git hooks and the git diff driver: install, uninstall, and what each hook does.

``publisher hooks install`` writes small shell scripts into the repository's hooks folder
(``core.hooksPath`` honoured) that run ``<python> -m publisher hooks run NAME`` with the
interpreter that installed them, so they work without activating a virtualenv:

- work tree: ``pre-commit`` lints the staged policies and blocks the commit on errors;
  ``commit-msg`` checks notice periods, with the ``Policy-Change`` trailer of the message
  being written; a publish hook (``post-merge`` by default, or ``pre-push``) lints the
  publishing branch and publishes the site (``pre-push`` refuses the push on errors);
- bare repository (a server): ``pre-receive`` lints what is pushed to the publishing branch
  and refuses the push with the lint messages; ``post-receive`` publishes the site. Every
  commit the push adds to the branch's first-parent history is linted (the policies it
  changes; the tip in full), since each becomes a revision of the published history: a
  broken commit is refused even when a later one in the same push fixes it.

A hook that is already there is *chained*, never overwritten: it is moved to
``<name>.publisher-chained`` and runs first, with the same arguments and input (a blocking
hook that fails stops there). ``publisher hooks uninstall`` removes our scripts and moves
the chained hooks back, byte for byte.

The diff driver: ``diff.policy.command`` (``git diff``, ``git log -p --ext-diff``: the
clause-level diff) and ``diff.policy.textconv`` (``git log -p``, ``git show``: a clause
outline, one line per clause with its id, diffed line by line) in the repository's config,
and ``<policies glob> diff=policy`` in ``.git/info/attributes``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.config import Settings
from publisher.counting import counted
from publisher.errors import ConfigError, PublisherError
from publisher.gitio import Git

if TYPE_CHECKING:
    from publisher.lint import LintReport

MARKER = "# policy-publisher hook"
CHAINED = ".publisher-chained"
PUBLISH_KEY = "publisher.publish"
DRIVER_KEYS = ("diff.policy.command", "diff.policy.textconv")
ATTRIBUTES_NOTE = "# policy-publisher: clause-level git diff of the policies (publisher hooks)"

WORK_TREE_PUBLISH_HOOKS = ("post-merge", "pre-push")
STDIN_HOOKS = frozenset({"pre-push", "pre-receive", "post-receive"})
BLOCKING_HOOKS = frozenset({"pre-commit", "commit-msg", "pre-push", "pre-receive"})
ZERO = frozenset({"0" * 40, "0" * 64})

Echo = Callable[[str], None]


# ---------------------------------------------------------------------------- installing


KEPT_OUT_OF_HOOKS = frozenset(
    {
        "secret_key",
        "api_token",
        "api_tokens",
        "smtp_password",
        "sendgrid_api_key",
        "sendgrid_webhook_key",
        "database_url",
    }
)
"""Settings never written into a hook script (secrets, and URLs that may hold a password)."""


def hook_environment(
    settings: Settings, sources: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """The ``PUBLISHER_*`` variables the hooks set, so they run with the settings that
    ``hooks install`` saw: every setting given as a flag or an environment variable (a file's
    settings the hooks read themselves). Second: the names kept out (secrets)."""
    env: dict[str, str] = {}
    kept_out: list[str] = []
    for name, source in sources.items():
        if source != "flag" and not source.startswith("env "):
            continue
        if name in KEPT_OUT_OF_HOOKS:
            kept_out.append(name)
            continue
        value = getattr(settings, name)
        env[f"PUBLISHER_{name.upper()}"] = (
            ",".join(value) if isinstance(value, tuple) else str(value)
        )
    return env, kept_out


def hook_script(name: str, python: str, env: Mapping[str, str] | None = None) -> str:
    """The shell script installed as hook ``name``: it runs our CLI with ``python``, with
    ``env`` (the settings given to ``hooks install``) exported first."""
    py = shlex.quote(python)
    exports = "".join(f"export {key}={shlex.quote(value)}\n" for key, value in (env or {}).items())
    if exports:
        exports = (
            "# Settings given to `publisher hooks install` (flags, PUBLISHER_* variables):\n"
            + exports
        )
    return f"""#!/bin/sh
{MARKER}: {name}
# Installed by `publisher hooks install`; `publisher hooks uninstall` removes it and puts
# back the hook it replaced ({name}{CHAINED}, run first), if there was one.
{exports}if [ ! -x {py} ]; then
    echo "policy-publisher: {python} is gone; run \\`publisher hooks install\\` again" >&2
    exit 1
fi
exec {py} -m publisher hooks run {name} "$@"
"""


def driver_commands(python: str) -> dict[str, str]:
    """The git config values of the diff driver (git runs them through the shell)."""
    py = shlex.quote(python)
    return {
        "diff.policy.command": f"{py} -m publisher diff-driver",
        "diff.policy.textconv": f"{py} -m publisher textconv",
    }


def is_ours(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return MARKER.encode() in handle.read(400)
    except OSError:
        return False


@dataclass
class Changes:
    """What an install or uninstall did, for the report."""

    hooks: list[str] = field(default_factory=list)
    chained: list[str] = field(default_factory=list)
    config: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self, verb: str) -> list[str]:
        out = [
            f"{verb} hook {h}"
            + (
                f" (chained: {h}{CHAINED} runs first)"
                if h in self.chained and verb == "installed"
                else ""
            )
            for h in self.hooks
        ]
        if verb == "removed":
            out += [f"restored hook {h} (was {h}{CHAINED})" for h in self.chained]
        out += [f"{'set' if verb == 'installed' else 'unset'} git config {k}" for k in self.config]
        out += [
            f"{'added to' if verb == 'installed' else 'removed from'} {a}" for a in self.attributes
        ]
        return out + self.notes


def _install_hook(
    hooks_dir: Path, name: str, python: str, changes: Changes, env: Mapping[str, str]
) -> None:
    hook = hooks_dir / name
    chained = hooks_dir / (name + CHAINED)
    if (hook.exists() or hook.is_symlink()) and not is_ours(hook):
        if chained.exists() or chained.is_symlink():
            raise ConfigError(
                f"cannot chain the existing {name} hook: {chained} exists already",
                path=hook,
                hint=f"merge or remove one of {hook} and {chained}, then install again",
            )
        hook.rename(chained)
    if chained.exists() or chained.is_symlink():
        changes.chained.append(name)
    temporary = hook.with_name(f".{name}.publisher-new")
    temporary.write_text(hook_script(name, python, env), encoding="utf-8")
    temporary.chmod(0o755)
    temporary.replace(hook)
    changes.hooks.append(name)


def hooks_to_install(
    bare: bool, *, pre_commit: bool, publish: bool, publish_hook: str
) -> list[str]:
    """The hook names an install writes."""
    if bare:
        return ["pre-receive", *(["post-receive"] if publish else [])]
    if publish_hook not in WORK_TREE_PUBLISH_HOOKS:
        raise ConfigError(
            f"the publish hook must be one of {', '.join(WORK_TREE_PUBLISH_HOOKS)}",
            hint="e.g. --publish-hook post-merge",
        )
    return [
        *(["pre-commit", "commit-msg"] if pre_commit else []),
        *([publish_hook] if publish else []),
    ]


def install(
    git: Git,
    *,
    python: str,
    policies: str,
    pre_commit: bool = True,
    publish: str | None = None,
    publish_hook: str = "post-merge",
    diff_driver: bool = True,
    branch: str = "HEAD",
    env: Mapping[str, str] | None = None,
) -> Changes:
    """Install the hooks (chaining existing ones), the publish target and the diff driver.

    ``publish`` is a folder or ``branch:NAME`` (see :class:`publisher.publish.PublishTarget`);
    it is kept in the repository's config as ``publisher.publish``. Installing again
    updates our hooks in place (for example after the virtualenv moved). ``branch`` is the
    publishing branch (the ``branch`` setting), named in the report of a bare repository.
    ``env`` is exported by every hook script (see :func:`hook_environment`).
    """
    from publisher.publish import PublishTarget

    changes = Changes()
    if publish is not None:
        target = PublishTarget.parse(publish, base=Path.cwd())
        git.config_set(PUBLISH_KEY, str(target))
        changes.config.append(f"{PUBLISH_KEY}={target}")
    names = hooks_to_install(
        git.info.bare,
        pre_commit=pre_commit,
        publish=publish is not None or git.config_get(PUBLISH_KEY) is not None,
        publish_hook=publish_hook,
    )
    hooks_dir = git.git_path("hooks")
    hooks_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        _install_hook(hooks_dir, name, python, changes, env or {})
    if git.info.bare:
        ref = publishing_ref(git, branch)
        changes.notes.append(
            f"pushes to {ref} are linted"
            + (" and published" if any(n == "post-receive" for n in names) else "")
        )
        if ref is not None and git.rev_parse(ref) is None:
            changes.notes.append(
                f"note: {ref} does not exist yet; if you publish another branch, point HEAD "
                "at it (git symbolic-ref HEAD refs/heads/main) or set the `branch` setting"
            )
    if diff_driver and not git.info.bare:
        for key, value in driver_commands(python).items():
            git.config_set(key, value)
            changes.config.append(key)
        attributes = git.git_path("info/attributes")
        line = f"{policies} diff=policy"
        text = attributes.read_text(encoding="utf-8") if attributes.is_file() else ""
        if line not in text.splitlines():
            attributes.parent.mkdir(parents=True, exist_ok=True)
            prefix = "" if not text or text.endswith("\n") else "\n"
            attributes.write_text(f"{text}{prefix}{ATTRIBUTES_NOTE}\n{line}\n", encoding="utf-8")
            changes.attributes.append(str(attributes))
    return changes


def uninstall(git: Git) -> Changes:
    """Remove our hooks (restoring the chained ones), the diff driver and the publish
    target; hooks that are not ours are left alone."""
    changes = Changes()
    hooks_dir = git.git_path("hooks")
    if hooks_dir.is_dir():
        for hook in sorted(hooks_dir.iterdir()):
            if hook.name.endswith(CHAINED) or hook.name.startswith("."):
                continue
            if not is_ours(hook):
                continue
            hook.unlink()
            changes.hooks.append(hook.name)
            chained = hooks_dir / (hook.name + CHAINED)
            if chained.exists() or chained.is_symlink():
                chained.rename(hook)
                changes.chained.append(hook.name)
        for chained in sorted(hooks_dir.glob(f"*{CHAINED}")):
            changes.notes.append(
                f"left {chained.name}: {chained.name.removesuffix(CHAINED)} is not ours any "
                "more (it was replaced after we installed); rename it back by hand if needed"
            )
    for key in DRIVER_KEYS:
        value = git.config_get(key)
        if value is not None and "-m publisher" in value:
            git.config_unset(key)
            changes.config.append(key)
    if git.config_get(PUBLISH_KEY) is not None:
        git.config_unset(PUBLISH_KEY)
        changes.config.append(PUBLISH_KEY)
    attributes = git.git_path("info/attributes")
    if attributes.is_file():
        lines = attributes.read_text(encoding="utf-8").splitlines(keepends=True)
        kept: list[str] = []
        skip_next = False
        for line in lines:
            if line.rstrip("\n") == ATTRIBUTES_NOTE:
                skip_next = True
                continue
            if skip_next and line.rstrip("\n").endswith(" diff=policy"):
                skip_next = False
                continue
            skip_next = False
            kept.append(line)
        if kept != lines:
            attributes.write_text("".join(kept), encoding="utf-8")
            changes.attributes.append(str(attributes))
    return changes


# ------------------------------------------------------------------------------- running


def run_chained(hooks_dir: Path, name: str, args: Sequence[str], stdin: bytes | None) -> int:
    """Run the hook we replaced (if any) as git would: same arguments, input and
    environment. 0 when there is none, or it is not executable (git skips those too)."""
    chained = hooks_dir / (name + CHAINED)
    if not chained.is_file() or not os.access(chained, os.X_OK):
        return 0
    return subprocess.run([str(chained), *args], input=stdin, check=False).returncode


@dataclass(frozen=True)
class RefUpdate:
    """One line of a push hook's input: a ref going from ``old`` to ``new``."""

    ref: str
    old: str
    new: str

    @property
    def deleted(self) -> bool:
        return self.new in ZERO


def receive_updates(stdin: bytes) -> list[RefUpdate]:
    """``<old> <new> <ref>`` lines (pre-receive, post-receive)."""
    updates = []
    for line in stdin.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3:
            updates.append(RefUpdate(ref=parts[2], old=parts[0], new=parts[1]))
    return updates


def push_updates(stdin: bytes) -> list[RefUpdate]:
    """``<local ref> <local sha> <remote ref> <remote sha>`` lines (pre-push), as the local
    ref going from the remote's sha to the local one."""
    updates = []
    for line in stdin.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 4:
            updates.append(RefUpdate(ref=parts[0], old=parts[3], new=parts[1]))
    return updates


def publishing_ref(git: Git, branch: str) -> str | None:
    """The full ref name of the publishing branch (``HEAD`` -> the branch it points at)."""
    if branch == "HEAD":
        return git.symbolic_head()
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


@dataclass(frozen=True)
class HookContext:
    """What a hook run needs from its environment (the CLI fills it in)."""

    settings: Settings
    echo: Echo
    today: date
    index_file: str | None = None


def run_hook(name: str, args: Sequence[str], stdin: bytes | None, context: HookContext) -> int:
    """Run hook ``name``: the chained hook first, then ours. Returns the exit status."""
    git = Git.open(context.settings.root)
    try:
        status = run_chained(git.git_path("hooks"), name, args, stdin)
        if status != 0 and name in BLOCKING_HOOKS:
            return status
        action = _ACTIONS.get(name)
        if action is None:
            context.echo(f"policy-publisher: nothing to do in a {name} hook")
            return 0
        return action(git, args, stdin or b"", context)
    finally:
        git.close()


def _print_findings(report: LintReport, echo: Echo) -> int:
    for finding in report.findings:
        echo(str(finding))
    return len(report.errors)


def _pre_commit(git: Git, args: Sequence[str], stdin: bytes, context: HookContext) -> int:
    from publisher.lint import run_lint

    report = run_lint(
        context.settings,
        staged=True,
        index_file=context.index_file,
        ignore=["notice-period"],
        today=context.today,
    )
    errors = _print_findings(report, context.echo)
    if errors:
        context.echo(
            f"policy-publisher: commit blocked: {counted(errors, 'lint error')} in the staged "
            "policies (fix them, or silence one with "
            "<!-- publisher-lint: disable RULE -->)"
        )
        return 1
    return 0


def _commit_msg(git: Git, args: Sequence[str], stdin: bytes, context: HookContext) -> int:
    from publisher.lint import run_lint
    from publisher.lint.versions import message_trailers

    message = Path(args[0]).read_text(encoding="utf-8", errors="replace") if args else ""
    report = run_lint(
        context.settings,
        staged=True,
        index_file=context.index_file,
        select=["notice-period"],
        trailers=message_trailers(message),
        today=context.today,
    )
    errors = _print_findings(report, context.echo)
    if errors:
        context.echo(
            "policy-publisher: commit blocked: a material change needs more notice "
            "(or the trailer `Policy-Change: editorial` if it is not material)"
        )
        return 1
    return 0


def _lint_commit(git: Git, rev: str, context: HookContext) -> int:
    """Lint every policy at commit ``rev``, print the findings, return the error count."""
    from publisher.lint import run_lint
    from publisher.publish import commit_settings

    settings = commit_settings(context.settings, git, rev)
    report = run_lint(settings, rev=rev, today=context.today)
    return _print_findings(report, context.echo)


def pushed_commits(git: Git, update: RefUpdate) -> list[str]:
    """The commits ``update`` adds to the first-parent history of its ref, oldest first:
    ``old..new``, or for a new ref the commits that no ref has yet."""
    if update.deleted:
        return []
    spec = [update.new, "--not", "--all"] if update.old in ZERO else [f"{update.old}..{update.new}"]
    out = git.run(
        ["rev-list", "--first-parent", "--reverse", *spec, "--"],
        what=f"list the commits pushed to {update.ref}",
    )
    return out.decode("ascii").split()


def _lint_pushed(git: Git, update: RefUpdate, context: HookContext) -> tuple[int, str]:
    """Lint each commit ``update`` brings before its tip (only the policies each one
    changes, printing the findings of a commit with errors), then the tip in full.
    (error count, the commit they are in)."""
    from publisher.lint import run_lint
    from publisher.publish import commit_settings

    for rev in pushed_commits(git, update):
        if rev == update.new:
            break
        settings = commit_settings(context.settings, git, rev)
        report = run_lint(settings, rev=rev, today=context.today, only_changed=True)
        if report.errors:
            return _print_findings(report, context.echo), rev
    return _lint_commit(git, update.new, context), update.new


def _refusal(git: Git, rev: str, update: RefUpdate) -> str:
    """Where the errors of a refused push are (the commit's subject, if not the tip) and
    what to do."""
    if rev == update.new:
        return f"at {rev[:12]}; fix them and push again"
    commit = git.cat.commit(rev)
    subject = f" ({commit.subject})" if commit is not None else ""
    return (
        f"at {rev[:12]}{subject}, an earlier commit of the push: every pushed commit "
        "enters the published history, even when a later one fixes it; fix that commit "
        "(git rebase -i) and push again"
    )


def _publish(git: Git, rev: str, context: HookContext) -> int:
    from publisher.publish import PublishTarget, publish

    configured = git.config_get(PUBLISH_KEY)
    if configured is None:
        return 0
    try:
        result = publish(context.settings, PublishTarget.parse(configured), rev=rev)
    except PublisherError as exc:
        context.echo(f"policy-publisher: publishing failed: {exc}")
        return 1
    context.echo(f"policy-publisher: {result.describe()}")
    return 0


def _updates_to_publishing_branch(
    git: Git, updates: list[RefUpdate], context: HookContext
) -> list[RefUpdate]:
    ref = publishing_ref(git, context.settings.branch)
    return [u for u in updates if u.ref == ref and not u.deleted]


def _pre_receive(git: Git, args: Sequence[str], stdin: bytes, context: HookContext) -> int:
    for update in _updates_to_publishing_branch(git, receive_updates(stdin), context):
        errors, rev = _lint_pushed(git, update, context)
        if errors:
            context.echo(
                f"policy-publisher: push to {update.ref} refused: "
                f"{counted(errors, 'lint error')} {_refusal(git, rev, update)}"
            )
            return 1
    return 0


def _post_receive(git: Git, args: Sequence[str], stdin: bytes, context: HookContext) -> int:
    for update in _updates_to_publishing_branch(git, receive_updates(stdin), context):
        return _publish(git, update.new, context)
    return 0


def _pre_push(git: Git, args: Sequence[str], stdin: bytes, context: HookContext) -> int:
    for update in _updates_to_publishing_branch(git, push_updates(stdin), context):
        errors = _lint_commit(git, update.new, context)
        if errors:
            context.echo(
                f"policy-publisher: push refused: {counted(errors, 'lint error')} at "
                f"{update.new[:12]}"
            )
            return 1
        return _publish(git, update.new, context)
    return 0


def _post_merge(git: Git, args: Sequence[str], stdin: bytes, context: HookContext) -> int:
    ref = publishing_ref(git, context.settings.branch)
    head = git.rev_parse("HEAD")
    if ref is None or head is None or git.symbolic_head() != ref:
        return 0
    if _lint_commit(git, head, context):
        context.echo("policy-publisher: not publishing: fix the lint errors above first")
        return 0  # the merge happened; post-merge cannot undo it
    return _publish(git, head, context)


HookAction = Callable[[Git, Sequence[str], bytes, HookContext], int]
_ACTIONS: dict[str, HookAction] = {
    "pre-commit": _pre_commit,
    "commit-msg": _commit_msg,
    "pre-receive": _pre_receive,
    "post-receive": _post_receive,
    "pre-push": _pre_push,
    "post-merge": _post_merge,
}
HOOK_NAMES = tuple(_ACTIONS)
