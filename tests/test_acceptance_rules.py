"""The re-acceptance rule (publisher.acceptance_rules): pure, with the real clause diff as the
materiality function over synthetic policy texts."""

from __future__ import annotations

import pytest

from publisher.acceptance_rules import (
    REASONS,
    Decision,
    VersionRule,
    carrying_labels,
    decide,
    parse_mode,
)
from publisher.diff import compare
from publisher.diff.model import Override
from publisher.document import body_sha256
from publisher.markdown import parse_document

V1 = "# Terms\n\n1. You may use the service.\n2. We may end it with notice.\n"
V2 = "# Terms\n\n1. You may use the service.\n2. We may end it at any time.\n"  # material
V3 = "# Terms\n\n1. You may use the Service.\n2. We may end it, at any time.\n"  # editorial
V4 = (
    "# Terms\n\n1. You may use the Service.\n2. We may end it, at any time.\n"
    "3. Fees are due monthly.\n"
)  # material

TEXTS = {"1": V1, "2": V2, "3": V3, "4": V4}


class Differ:
    """Materiality by the real diff, counting calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, old: VersionRule, new: VersionRule, overrides: tuple[Override, ...]) -> bool:
        self.calls.append((old.label, new.label))
        changes = compare(
            parse_document(TEXTS[old.label]), parse_document(TEXTS[new.label]), overrides=overrides
        )
        return changes.material


def chain(
    *labels: str, reaccept: str | None = None, trailers: dict[str, tuple[str, ...]] | None = None
) -> list[VersionRule]:
    mode = parse_mode(reaccept) if reaccept else None
    return [
        VersionRule(
            label,
            i,
            body_sha256(TEXTS[label]),
            reaccept=mode if label == labels[-1] else None,
            policy_change=(trailers or {}).get(label, ()),
        )
        for i, label in enumerate(labels)
    ]


def test_never_accepted_needs_acceptance() -> None:
    decision = decide(chain("1", "2"), [], Differ())
    assert decision == Decision(True, "not-accepted", "2", None)
    assert "has not accepted" in decision.explain()


def test_accepted_current_needs_nothing() -> None:
    differ = Differ()
    decision = decide(chain("1", "2"), ["1", "2"], differ)
    assert (decision.needed, decision.reason, decision.accepted) == (False, "accepted-current", "2")
    assert differ.calls == []  # no diff needed


def test_material_version_needs_acceptance() -> None:
    decision = decide(chain("1", "2"), ["1"], Differ())
    assert (decision.needed, decision.reason) == (True, "material-changes")


def test_editorial_version_carries_the_acceptance_forward() -> None:
    decision = decide(chain("1", "2", "3"), ["2"], Differ())
    assert (decision.needed, decision.reason, decision.accepted) == (False, "editorial-only", "2")
    assert decision.carried_forward
    assert "carries forward" in decision.explain()


def test_editorial_between_two_material_versions() -> None:
    versions = chain("1", "2", "3", "4")
    differ = Differ()
    # accepted the editorial one: the material one after it needs acceptance
    assert decide(versions, ["3"], differ).reason == "material-changes"
    # accepted the first material one: 4 is still material against 2 (compared directly)
    assert decide(versions, ["2"], differ).reason == "material-changes"
    assert differ.calls == [("3", "4"), ("2", "4")]
    # and at version 3 (current 3), 2 carries forward while 1 does not
    assert decide(versions, ["2"], differ, current="3").reason == "editorial-only"
    assert decide(versions, ["1"], differ, current="3").reason == "material-changes"


def test_the_newest_accepted_version_counts() -> None:
    # accepted 1 long ago and 3 later: 3 → 4 is compared, not 1 → 4
    differ = Differ()
    decide(chain("1", "2", "3", "4"), ["3", "1"], differ)
    assert differ.calls == [("3", "4")]


def test_unknown_accepted_labels_are_ignored() -> None:
    assert decide(chain("1", "2"), ["9"], Differ()).reason == "not-accepted"


def test_reaccept_always_asks_even_for_editorial_versions() -> None:
    decision = decide(chain("1", "2", "3", reaccept="always"), ["2"], Differ())
    assert (decision.needed, decision.reason) == (True, "reaccept-always")


def test_reaccept_never_carries_any_acceptance_forward() -> None:
    decision = decide(chain("1", "2", "3", "4", reaccept="never"), ["1"], Differ())
    assert (decision.needed, decision.reason) == (False, "reaccept-never")
    # but a customer who never accepted anything still has to
    assert decide(chain("1", "2", reaccept="never"), [], Differ()).needed


def test_the_current_versions_mode_decides() -> None:
    versions = chain("1", "2", "3")
    versions[1] = VersionRule("2", 1, versions[1].sha256, reaccept="always")
    assert decide(versions, ["2"], Differ()).reason == "editorial-only"


def test_policy_change_material_trailer_forces_reacceptance() -> None:
    versions = chain("1", "2", "3", trailers={"3": ("material",)})
    differ = Differ()
    decision = decide(versions, ["2"], differ)
    assert (decision.needed, decision.reason) == (True, "policy-change-material")
    assert differ.calls == []


def test_trailer_before_the_accepted_version_does_not_count() -> None:
    versions = chain("1", "2", "3", trailers={"2": ("material",)})
    assert decide(versions, ["2"], Differ()).reason == "editorial-only"


def test_editorial_trailer_overrides_a_material_diff() -> None:
    versions = chain("1", "2", trailers={"2": ("editorial",)})
    assert decide(versions, ["1"], Differ()).reason == "editorial-only"


def test_clause_trailer_is_an_override_not_a_force() -> None:
    versions = chain("1", "2", "3", trailers={"3": ("material 2",)})
    decision = decide(versions, ["2"], Differ())
    assert decision.reason == "material-changes"  # clause 2's editorial edit made material


def test_carrying_labels_for_sql_filters() -> None:
    versions = chain("1", "2", "3", "4")
    assert carrying_labels(versions, Differ(), current="3") == {"2", "3", "4"}
    assert carrying_labels(versions, Differ()) == {"4"}


def test_parse_mode() -> None:
    assert parse_mode("Material") == "material"
    assert parse_mode(" never ") == "never"
    assert parse_mode("sometimes") is None
    assert parse_mode(3) is None


def test_no_versions_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="without versions"):
        decide([], [], Differ())


def test_every_reason_explains_itself() -> None:
    for reason in REASONS:
        text = Decision(reason in ("not-accepted",), reason, "4", "2").explain()
        assert "4" in text or "2" in text
