"""Version derivation: a policy's versions from its revisions and their front matter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from publisher.document import PolicyMeta, body_sha256
from publisher.history.english_dates import effective_date_in
from publisher.history.policy import Revision, Version


@dataclass(frozen=True)
class Head:
    meta: PolicyMeta
    sha256: str
    effective: date | None  # from an "Effective date:" line of the body


def make_head(meta: PolicyMeta, body: str) -> Head:
    return Head(meta=meta, sha256=body_sha256(body), effective=effective_date_in(body))


@dataclass
class _Run:
    label: str
    labelled: bool
    first: int
    last: int


def derive_versions(
    slug: str,
    revisions: tuple[Revision, ...],
    heads: list[Head | None],
    title_of: Callable[[Revision, Head], str],
    fingerprint_of: Callable[[Revision], str],
) -> tuple[tuple[Version, ...], tuple[str, ...]]:
    """The versions of a policy from its revisions (oldest first) and their heads (None for
    an unreadable revision, which belongs to the version before it, or the first one), and
    the label of the version each revision belongs to.

    A revision without a label starts a new version only when what a reader sees changed
    (``fingerprint_of``, asked only when the body changed); otherwise it belongs to the
    version before it, and becomes that version's content if the version is unlabelled.
    """
    runs: dict[str, _Run] = {}
    labels: list[str | None] = []
    current: _Run | None = None
    previous: tuple[Revision, Head] | None = None
    seen: dict[tuple[str, str | None], str] = {}  # (body sha, front matter title) -> fingerprint
    date_labels = _DateLabels(runs)

    def fingerprint(rev: Revision, head: Head) -> str:
        key = (head.sha256, head.meta.title)
        if key not in seen:
            seen[key] = fingerprint_of(rev)
        return seen[key]

    for i, (rev, head) in enumerate(zip(revisions, heads, strict=True)):
        if head is None:
            labels.append(current.label if current is not None else None)
            continue
        label = head.meta.version
        if label:
            run = runs.get(label)
            if run is None:
                run = runs[label] = _Run(label, True, i, i)
            run.last = i
            current = run
        elif (
            current is not None
            and previous is not None
            and (
                head.sha256 == previous[1].sha256
                or fingerprint(rev, head) == fingerprint(*previous)
            )
        ):
            if not current.labelled:
                current.last = i  # nothing a reader sees changed: still the same version
        else:
            label = date_labels.next(rev.committed.date())
            current = runs[label] = _Run(label, False, i, i)
        labels.append(current.label)
        previous = (rev, head)
    versions: list[Version] = []
    for run in sorted(runs.values(), key=lambda r: r.first):
        first, last, head = revisions[run.first], revisions[run.last], heads[run.last]
        assert head is not None
        versions.append(
            Version(
                slug=slug,
                label=run.label,
                effective=head.meta.effective or head.effective or first.committed.date(),
                revision=last,
                first_revision=first,
                sha256=head.sha256,
                title=title_of(last, head),
                summary=head.meta.summary or (None if run.labelled else first.subject or None),
                labelled=run.labelled,
            )
        )
    first_label = versions[0].label
    return tuple(versions), tuple(label or first_label for label in labels)


class _DateLabels:
    """Labels ``YYYY-MM-DD``, ``YYYY-MM-DD.2``… for unlabelled versions, in one pass: each
    day remembers the number it reached, so the n-th version of a day costs O(1), not O(n)
    (a label written in front matter that looks like a date is still never reused)."""

    def __init__(self, taken: dict[str, _Run]) -> None:
        self._taken = taken
        self._next: dict[date, int] = {}

    def next(self, day: date) -> str:
        n = self._next.get(day, 1)
        iso = day.isoformat()
        label = iso if n == 1 else f"{iso}.{n}"
        while label in self._taken:
            n += 1
            label = f"{iso}.{n}"
        self._next[day] = n + 1
        return label
