"""Re-acceptance: does a customer who accepted one version of a policy need to accept its
current version, and why. The one rule that reports, reminders, notices' recipients and the
status API all apply.

Pure: :func:`decide` takes the policy's versions (as :class:`VersionRule` values) and a
``material(old, new, overrides)`` function that says whether the changes from ``old`` to
``new`` are material (the clause diff); nothing here reads git, the database or the clock.

The rule, in order:

1. never accepted any version of the policy → needed (``not-accepted``);
2. accepted the current version (or a later one) → not needed (``accepted-current``);
3. the current version's front matter ``reaccept: never`` → not needed, any earlier
   acceptance carries forward (``reaccept-never``);
4. ``reaccept: always`` → needed for every new version (``reaccept-always``);
5. a version after the accepted one, up to the current one, carries the commit trailer
   ``Policy-Change: material`` (for the whole policy) → needed (``policy-change-material``);
6. otherwise (``reaccept: material``, the default) the accepted version is compared with the
   current one *directly* (every ``Policy-Change`` trailer in between applied as an override):
   material changes → needed (``material-changes``); editorial-only → not needed, the
   acceptance carries forward (``editorial-only``).

Comparing directly means an editorial version between two material ones changes nothing:
a customer who accepted the editorial one still needs to accept the later material one, and
one who accepted the first material version carries forward to the editorial one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from publisher.diff.classify import parse_override
from publisher.diff.model import Override

ReacceptMode = Literal["material", "always", "never"]
REACCEPT_MODES: tuple[ReacceptMode, ...] = get_args(ReacceptMode)
DEFAULT_MODE: ReacceptMode = "material"

Reason = Literal[
    "not-accepted",
    "accepted-current",
    "reaccept-never",
    "reaccept-always",
    "policy-change-material",
    "material-changes",
    "editorial-only",
]
REASONS: tuple[Reason, ...] = get_args(Reason)


def parse_mode(value: object) -> ReacceptMode | None:
    """``value`` as a re-acceptance mode, or None when it is not one (case-insensitive)."""
    if not isinstance(value, str):
        return None
    lowered = value.strip().lower()
    for mode in REACCEPT_MODES:
        if mode == lowered:
            return mode
    return None


@dataclass(frozen=True)
class VersionRule:
    """What the rule needs of one version: its label and place, its text's identity, its
    front matter ``reaccept`` (None: the default) and the ``Policy-Change`` trailer values
    of the commits that made it (since the previous version)."""

    label: str
    position: int
    sha256: str
    reaccept: ReacceptMode | None = None
    policy_change: tuple[str, ...] = ()

    def overrides(self) -> tuple[Override, ...]:
        found = (parse_override(v, f"version {self.label} trailer") for v in self.policy_change)
        return tuple(o for o in found if o is not None)


Materiality = Callable[[VersionRule, VersionRule, tuple[Override, ...]], bool]
"""``material(old, new, overrides)``: are the changes from ``old`` to ``new`` material?"""


@dataclass(frozen=True)
class Decision:
    """Whether a new acceptance of ``current`` is needed, why, and what it rests on."""

    needed: bool
    reason: Reason
    current: str
    accepted: str | None
    """The newest version the customer accepted (None: none)."""

    @property
    def carried_forward(self) -> bool:
        """An acceptance of an earlier version stands for the current one."""
        return (
            not self.needed
            and self.accepted is not None
            and self.accepted != self.current
            and self.reason != "accepted-current"
        )

    def explain(self) -> str:
        """One sentence for people (reports, the status API)."""
        accepted, current = self.accepted, self.current
        return {
            "not-accepted": f"has not accepted any version; version {current} needs acceptance",
            "accepted-current": f"accepted version {accepted}, the current one",
            "reaccept-never": f"accepted version {accepted}; this policy never asks again "
            "(reaccept: never)",
            "reaccept-always": f"accepted version {accepted}; every new version needs "
            f"acceptance (reaccept: always), so {current} does",
            "policy-change-material": f"accepted version {accepted}; a later version is "
            "marked `Policy-Change: material`, so "
            f"{current} needs acceptance",
            "material-changes": f"accepted version {accepted}; version {current} changes it "
            "materially",
            "editorial-only": f"accepted version {accepted}; version {current} changes it "
            "only editorially, so that acceptance carries forward",
        }[self.reason]

    def to_dict(self) -> dict[str, Any]:
        return {
            "needs_acceptance": self.needed,
            "reason": self.reason,
            "explanation": self.explain(),
            "carried_forward": self.carried_forward,
        }


def _forces(version: VersionRule) -> bool:
    return any(o.value == "material" and o.clause is None for o in version.overrides())


def decide(
    versions: Sequence[VersionRule],
    accepted: Sequence[str],
    material: Materiality,
    *,
    current: str | None = None,
) -> Decision:
    """The decision for a customer who accepted the versions labelled ``accepted`` (any
    order; unknown labels are ignored) of a policy whose versions are ``versions`` (any
    order), against ``current`` (default: the last version by position).

    ``material`` is called at most once, and only when rule 6 needs it.
    """
    if not versions:
        raise ValueError("a policy without versions has nothing to accept")
    ordered = sorted(versions, key=lambda v: v.position)
    by_label = {v.label: v for v in ordered}
    target = ordered[-1] if current is None else by_label[current]
    known = [by_label[label] for label in accepted if label in by_label]
    if not known:
        return Decision(True, "not-accepted", target.label, None)
    newest = max(known, key=lambda v: v.position)
    if newest.position >= target.position:
        return Decision(False, "accepted-current", target.label, newest.label)
    mode = target.reaccept or DEFAULT_MODE
    if mode == "never":
        return Decision(False, "reaccept-never", target.label, newest.label)
    if mode == "always":
        return Decision(True, "reaccept-always", target.label, newest.label)
    window = [v for v in ordered if newest.position < v.position <= target.position]
    if any(_forces(v) for v in window):
        return Decision(True, "policy-change-material", target.label, newest.label)
    overrides = tuple(o for v in window for o in v.overrides())
    if material(newest, target, overrides):
        return Decision(True, "material-changes", target.label, newest.label)
    return Decision(False, "editorial-only", target.label, newest.label)


def carrying_labels(
    versions: Sequence[VersionRule], material: Materiality, *, current: str | None = None
) -> frozenset[str]:
    """The labels whose acceptance stands for ``current`` (itself and later ones included):
    a customer whose *newest* accepted version is one of these needs no new acceptance.
    For SQL filters over many customers (one decision per label, not per customer)."""
    ordered = sorted(versions, key=lambda v: v.position)
    target = ordered[-1] if current is None else next(v for v in ordered if v.label == current)
    return frozenset(
        v.label
        for v in ordered
        if v.position >= target.position
        or not decide(ordered, [v.label], material, current=target.label).needed
    )
