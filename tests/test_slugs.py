"""publisher.slugs: policy slugs from paths, stable as policies are added."""

from __future__ import annotations

import pytest

from publisher.slugs import SlugClaim, assign_slugs, glob_base, path_name


@pytest.mark.parametrize(
    ("pattern", "base"),
    [
        ("policies/**/*.md", "policies"),
        ("**/*.md", ""),
        ("*.md", ""),
        ("./docs/legal/*.md", "docs/legal"),
        ("docs/*/terms.md", "docs"),
        ("Policies/[a-z]*/*.md", "Policies"),
    ],
)
def test_glob_base(pattern: str, base: str) -> None:
    assert glob_base(pattern) == base


@pytest.mark.parametrize(
    ("path", "base", "stem", "slug", "language"),
    [
        ("policies/aup.md", "policies", "aup", "aup", None),
        ("privacy/index.md", "", None, "privacy", None),
        ("Facebook/Terms of Service.md", "", "terms-of-service", "facebook-terms-of-service", None),
        ("a/README.md", "", None, "a", None),
        ("index.md", "", "index", "index", None),
        ("de/privacy.md", "", "privacy", "privacy", "de"),
        ("legal/pt_BR/privacy.md", "", "privacy", "legal-privacy", "pt-br"),
        ("privacy.fr.md", "", "privacy", "privacy", "fr"),
        ("terms.v2.md", "", "terms-v2", "terms-v2", None),
        ("policies/use/aup.md", "policies", "aup", "use-aup", None),
        ("__.md", "", None, "policy", None),
    ],
)
def test_path_name(path: str, base: str, stem: str | None, slug: str, language: str | None) -> None:
    name = path_name(path, base)
    assert (name.stem, name.path, name.language) == (stem, slug, language)


def test_a_stem_that_repeats_takes_the_path_form_from_the_second_policy_on() -> None:
    first = SlugClaim("a/terms.md", None, since=0)
    assert assign_slugs([first]) == ["terms"]
    later = SlugClaim("b/terms.md", None, since=5)
    # the policy added later never changes the slug of the one that was there first
    assert assign_slugs([first, later]) == ["terms", "b-terms"]
    assert assign_slugs([later, first]) == ["b-terms", "terms"]


def test_stems_that_repeat_in_one_commit_all_take_the_path_form() -> None:
    claims = [
        SlugClaim("Facebook/Terms of Service.md", None, 3),
        SlugClaim("Instagram/Terms of Service.md", None, 3),
        SlugClaim("Facebook/Privacy.md", None, 3),
    ]
    assert assign_slugs(claims) == [
        "facebook-terms-of-service",
        "instagram-terms-of-service",
        "privacy",
    ]
    added = [
        *claims,
        SlugClaim("WhatsApp/Terms of Service.md", None, 9),
        SlugClaim("WhatsApp/Privacy.md", None, 9),
    ]
    assert assign_slugs(added)[:3] == assign_slugs(claims)
    assert assign_slugs(added)[3:] == ["whatsapp-terms-of-service", "whatsapp-privacy"]


def test_uninformative_stems_use_the_folders() -> None:
    claims = [
        SlugClaim("a/index.md", None, 0),
        SlugClaim("b/index.md", None, 0),
        SlugClaim("Some Service/Terms of Service.md", None, 0),
    ]
    assert assign_slugs(claims) == ["a", "b", "terms-of-service"]


def test_translations_are_no_collision_error() -> None:
    together = [SlugClaim("de/privacy.md", None, 0), SlugClaim("fr/privacy.md", None, 0)]
    assert assign_slugs(together) == ["privacy-de", "privacy-fr"]
    apart = [SlugClaim("en/privacy.md", None, 0), SlugClaim("fr/privacy.md", None, 4)]
    assert assign_slugs(apart) == ["privacy", "privacy-fr"]


def test_front_matter_slugs_win_and_may_collide() -> None:
    claims = [
        SlugClaim("policies/x.md", "terms", 0),
        SlugClaim("policies/y.md", "terms", 1),
        SlugClaim("policies/terms.md", None, 0),
    ]
    assert assign_slugs(claims, "policies") == ["terms", "terms", "terms-2"]


def test_numbering_is_the_last_resort_and_deterministic() -> None:
    claims = [
        SlugClaim("AUP.md", None, 0),
        SlugClaim("aup.md", None, 0),
        SlugClaim("a-u-p.md", None, 0),
    ]
    assert assign_slugs(claims) == ["aup-2", "aup-3", "a-u-p"]
    assert assign_slugs(list(reversed(claims))) == ["a-u-p", "aup-3", "aup-2"]


def test_derived_slugs_avoid_the_sites_own_folders() -> None:
    claims = [SlugClaim("api/index.md", None, 0), SlugClaim("search.md", None, 0)]
    assert assign_slugs(claims) == ["api-2", "search-2"]
