"""The re-acceptance rule over the store: `db sync` copies `reaccept` and `Policy-Change`
trailers from a real git repository, and decisions come from the stored texts (SQLite and
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gitrepo import GitRepo

from publisher.config import load_settings
from publisher.store import migrate
from publisher.store.db import Database
from publisher.store.reaccept import policy_rules
from publisher.store.versions import stored_versions, sync_versions

SLUG = "terms"


def policy(version: str, body: str, *, reaccept: str | None = None) -> str:
    mode = f"reaccept: {reaccept}\n" if reaccept else ""
    return f'---\ntitle: Terms\nslug: {SLUG}\nversion: "{version}"\n{mode}---\n\n# Terms\n\n{body}'


B1 = "1. You may use the service.\n2. We may end it with notice.\n"
B2 = "1. You may use the service.\n2. We may end it at any time.\n"  # material vs 1
B3 = "1. You may use the Service.\n2. We may end it, at any time.\n"  # editorial vs 2
B4 = B3 + "3. Fees are due monthly.\n"  # material vs 3


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[tuple[GitRepo, Database, Path]]:
    root = tmp_path / "repo"
    repo = GitRepo.init(root)
    repo.write("policies/terms.md", policy("1", B1))
    repo.commit("Publish the terms")
    repo.write("policies/terms.md", policy("2", B2))
    repo.commit("Terms 2")
    repo.write("policies/terms.md", policy("3", B3))
    repo.commit("Terms 3: typography")
    settings = load_settings(root, env={}, overrides={"database_url": database_url})
    database = migrate.open_store(settings)
    sync_versions(database, settings)
    try:
        yield repo, database, root
    finally:
        database.dispose()


def resync(root: Path, database: Database) -> None:
    sync_versions(database, load_settings(root, env={}))  # reads git only via settings.root


def test_editorial_version_carries_forward_and_material_does_not(
    store: tuple[GitRepo, Database, Path],
) -> None:
    repo, database, root = store
    rules = policy_rules(database)[SLUG]
    assert rules.current.label == "3"
    assert rules.decide(["2"]).reason == "editorial-only"
    assert rules.decide(["1"]).reason == "material-changes"
    assert rules.decide([]).reason == "not-accepted"
    assert rules.carrying() == {"2", "3"}
    repo.write("policies/terms.md", policy("4", B4))
    repo.commit("Terms 4: fees")
    resync(root, database)
    rules = policy_rules(database)[SLUG]
    assert rules.decide(["3"]).reason == "material-changes"
    assert rules.decide(["2"]).reason == "material-changes"
    assert rules.carrying() == {"4"}


def test_sync_copies_the_policy_change_trailer(store: tuple[GitRepo, Database, Path]) -> None:
    repo, database, root = store
    repo.write("policies/terms.md", policy("4", B3.replace("Service", "service")))
    repo.commit("Terms 4: looks editorial", trailers=[("Policy-Change", "material")])
    resync(root, database)
    versions = stored_versions(database, slug=SLUG)
    assert [v.policy_change for v in versions] == [(), (), (), ("material",)]
    decision = policy_rules(database)[SLUG].decide(["3"])
    assert (decision.needed, decision.reason) == (True, "policy-change-material")


def test_sync_copies_reaccept_from_front_matter(store: tuple[GitRepo, Database, Path]) -> None:
    repo, database, root = store
    repo.write("policies/terms.md", policy("4", B4, reaccept="never"))
    repo.commit("Terms 4: never ask again")
    resync(root, database)
    assert [v.reaccept for v in stored_versions(database, slug=SLUG)] == [None, None, None, "never"]
    rules = policy_rules(database)[SLUG]
    assert rules.decide(["1"]).reason == "reaccept-never"
    repo.write(
        "policies/terms.md", policy("5", B4.replace("monthly", "monthly."), reaccept="always")
    )
    repo.commit("Terms 5: punctuation, but always ask")
    resync(root, database)
    assert policy_rules(database)[SLUG].decide(["4"]).reason == "reaccept-always"


def test_unknown_slugs_are_left_out(store: tuple[GitRepo, Database, Path]) -> None:
    _repo, database, _root = store
    assert policy_rules(database, ["nope"]) == {}
