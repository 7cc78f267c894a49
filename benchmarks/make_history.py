"""Generate a synthetic policy repository with ``git fast-import`` (issue 14).

``N`` policies under ``policies/`` and ``M`` commits on ``main``: the first ``N`` commits add
one policy each, every later commit edits one policy (now and then two) with the kinds of edit
real policies see:

  reword       a few words of one clause replaced (a modified clause);
  add          a new section appended, or a clause inserted at the top of a list, which
               renumbers every clause after it;
  remove       a section or a clause removed (the rest renumbered);
  typo         a punctuation or case fix (editorial);
  label        a front-matter ``version`` label set (a labelled version from then on);

A few policies are very long (hundreds of clauses). Commits are hours apart, so some days
have several commits (same-day labels ``2024-06-01.2``). Everything is derived from
``--seed``: the same arguments always make the same repository (the same commit shas).

Run: ``python benchmarks/make_history.py DIR --policies 133 --commits 5000``. The library
function :func:`make_history` is what ``bench_scale.py`` calls.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

START = 1_717_200_000  # 2024-06-01 00:00:00 UTC
WORDS = (
    "account",
    "service",
    "customer",
    "content",
    "data",
    "provider",
    "user",
    "agreement",
    "term",
    "notice",
    "law",
    "access",
    "payment",
    "fee",
    "refund",
    "privacy",
    "security",
    "right",
    "obligation",
    "license",
    "export",
    "court",
    "dispute",
    "party",
    "information",
    "request",
    "period",
    "month",
    "written",
    "consent",
    "third",
    "reasonable",
    "material",
    "breach",
)


@dataclass
class _Policy:
    path: str
    title: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    label: int = 0  # 0: unlabelled (versions by date)

    def markdown(self) -> str:
        lines = ["---", f"title: {self.title}"]
        if self.label:
            lines.append(f'version: "{self.label}"')
        lines += ["---", "", f"# {self.title}", ""]
        for s, (heading, clauses) in enumerate(self.sections, start=1):
            lines += [f"## {s}. {heading}", ""]
            lines += [f"{c}. {text}" for c, text in enumerate(clauses, start=1)]
            lines.append("")
        return "\n".join(lines)


def _sentence(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(WORDS) for _ in range(words)]
    return " ".join(chosen).capitalize() + "."


def _section(rng: random.Random, clauses: int) -> tuple[str, list[str]]:
    heading = " ".join(rng.choice(WORDS) for _ in range(2)).title()
    return heading, [_sentence(rng, rng.randint(8, 30)) for _ in range(clauses)]


def _new_policy(rng: random.Random, index: int, long: bool) -> _Policy:
    folder = ("legal", "product", "regional")[index % 3]
    policy = _Policy(
        path=f"policies/{folder}/policy-{index:04d}.md",
        title=f"Policy {index} {rng.choice(WORDS).title()} Terms",
    )
    sections = rng.randint(25, 40) if long else rng.randint(3, 8)
    for _ in range(sections):
        policy.sections.append(_section(rng, rng.randint(8, 20) if long else rng.randint(2, 7)))
    return policy


def _edit(rng: random.Random, policy: _Policy) -> str:
    """Change ``policy`` in place; returns the commit subject."""
    kind = rng.choices(
        ("reword", "add", "insert", "remove", "typo", "label"), weights=(50, 10, 10, 10, 15, 5)
    )[0]
    s = rng.randrange(len(policy.sections))
    heading, clauses = policy.sections[s]
    if kind == "reword" and clauses:
        c = rng.randrange(len(clauses))
        words = clauses[c].rstrip(".").split()
        for _ in range(rng.randint(1, 3)):
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        clauses[c] = " ".join(words).capitalize() + "."
        return f"Reword {s + 1}.{c + 1} of {policy.title}"
    if kind == "add":
        policy.sections.append(_section(rng, rng.randint(2, 5)))
        return f"Add a section to {policy.title}"
    if kind == "insert":
        clauses.insert(0, _sentence(rng, rng.randint(8, 20)))
        return f"Insert a clause at the top of {heading} (renumbers the rest)"
    if kind == "remove" and len(policy.sections) > 2:
        if rng.random() < 0.4:
            del policy.sections[s]
            return f"Remove section {heading} of {policy.title}"
        if len(clauses) > 1:
            del clauses[rng.randrange(len(clauses))]
            return f"Remove a clause of {heading}"
    if kind == "label":
        policy.label += 1
        return f"Publish version {policy.label} of {policy.title}"
    if clauses:
        c = rng.randrange(len(clauses))
        clauses[c] = clauses[c].rstrip(".") + ";" if rng.random() < 0.5 else clauses[c].lower()
        return f"Fix punctuation in {heading}"
    clauses.append(_sentence(rng, 12))
    return f"Add a clause to {heading}"


def _data(text: str) -> bytes:
    raw = text.encode("utf-8")
    return b"data %d\n%s\n" % (len(raw), raw)


def fast_import_stream(
    policies: int, commits: int, *, seed: int = 14, long_every: int = 40, branch: str = "main"
) -> bytes:
    """The fast-import stream of the repository :func:`make_history` writes."""
    if policies < 1 or commits < policies:
        raise ValueError("need at least one policy and one commit per policy")
    rng = random.Random(seed)
    made: list[_Policy] = []
    out: list[bytes] = []
    when = START
    for i in range(commits):
        when += rng.choice((600, 3_600, 4 * 3_600, 20 * 3_600, 2 * 86_400))
        if i < policies:
            policy = _new_policy(rng, i, long=i % long_every == 1)
            made.append(policy)
            touched = [policy]
            subject = f"Add {policy.title}"
        else:
            touched = [rng.choice(made)]
            if rng.random() < 0.05:
                touched.append(rng.choice(made))
            subject = "; ".join(_edit(rng, p) for p in touched)
        out.append(f"commit refs/heads/{branch}\n".encode())
        out.append(f"committer Legal Team <legal@example.com> {when} +0000\n".encode())
        out.append(_data(subject + "\n"))
        for policy in {p.path: p for p in touched}.values():
            out.append(f"M 100644 inline {policy.path}\n".encode())
            out.append(_data(policy.markdown()))
    out.append(b"done\n")
    return b"".join(out)


def make_history(path: Path, policies: int, commits: int, *, seed: int = 14) -> Path:
    """A new git repository at ``path`` holding the synthetic history; returns ``path``."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(path)], check=True, env=env)
    subprocess.run(
        ["git", "fast-import", "--quiet", "--done"],
        cwd=path,
        check=True,
        env=env,
        input=fast_import_stream(policies, commits, seed=seed),
    )
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True, env=env)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="where to create the repository (must not exist)")
    parser.add_argument("--policies", type=int, default=133)
    parser.add_argument("--commits", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    if args.path.exists():
        parser.error(f"{args.path} exists: give a new directory")
    make_history(args.path, args.policies, args.commits, seed=args.seed)
    print(f"{args.path}: {args.policies} policies, {args.commits} commits")


if __name__ == "__main__":
    main()
