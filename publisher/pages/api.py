"""The site's JSON API payloads (``/api/…json``), with absolute URLs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from publisher.diff import ChangeSet, render_json
from publisher.document import Clause, Document
from publisher.pages.feeds import atom_time
from publisher.pages.model import PolicyInfo, VersionInfo
from publisher.urls import Linker, Urls

__all__ = [
    "api_changes",
    "api_policies",
    "api_version",
    "api_version_json",
    "api_versions",
    "clauses_json",
]


def _version_json(link: Linker, slug: str, version: VersionInfo) -> dict[str, Any]:
    data: dict[str, Any] = {
        "label": version.label,
        "status": version.status,
        "effective": version.effective.isoformat() if version.effective else None,
        "published": atom_time(version.published),
        "commit": version.commit,
        "last_commit": version.last_commit or version.commit,
        "sha256": version.sha256,
        "title": version.title,
        "summary": version.summary,
        "previous": version.previous,
        "changes": version.counts.as_dict() if version.counts else None,
        "material": version.material,
        "url": link.version(slug, version.label),
        "api": link.api_version(slug, version.label),
    }
    if version.previous is not None:
        data["redline"] = link.changes(slug, version.previous, version.label)
        data["changes_api"] = link.api_changes(slug, version.previous, version.label)
    return data


def api_policies(urls: Urls, base_url: str, policies: Sequence[PolicyInfo]) -> dict[str, Any]:
    """``/api/policies.json``: every policy with its version in force and upcoming ones."""
    link = urls.absolute(base_url)
    return {
        "policies": [
            {
                "slug": p.slug,
                "title": p.title,
                "path": p.path,
                "current": p.current,
                "upcoming": [v.label for v in p.upcoming],
                "effective": p.shown.effective.isoformat() if p.shown.effective else None,
                "versions": len(p.versions),
                "url": link.policy(p.slug),
                "feed": link.feed(p.slug),
                "api": link.api_versions(p.slug),
                "languages": [
                    {
                        "language": lang,
                        "url": (link if i == 0 else _in_language(urls, lang, base_url)).policy(
                            p.slug
                        ),
                        "api": (
                            link if i == 0 else _in_language(urls, lang, base_url)
                        ).api_versions(p.slug),
                    }
                    for i, lang in enumerate(p.languages)
                ],
            }
            for p in policies
        ]
    }


def _in_language(urls: Urls, language: str, base_url: str) -> Linker:
    """Absolute links of a translation's pages (``/<lang>/…`` under the prefix)."""
    prefix = "/".join(part for part in (urls.prefix.strip("/"), language) if part)
    return Urls(prefix).absolute(base_url)


def api_versions(urls: Urls, base_url: str, policy: PolicyInfo) -> dict[str, Any]:
    """``/api/<slug>/versions.json``: the policy's published versions, oldest first."""
    link = urls.absolute(base_url)
    return {
        "policy": policy.slug,
        "title": policy.title,
        "current": policy.current,
        "versions": [_version_json(link, policy.slug, v) for v in policy.versions],
    }


def _clause_json(clause: Clause) -> dict[str, Any]:
    return {
        "id": clause.id,
        "sha256": hashlib.sha256(clause.text.encode("utf-8")).hexdigest(),
        "kind": clause.kind,
        "number": clause.number,
        "heading": clause.heading,
        "text": clause.text,
        "anchor": clause.anchor,
        "lines": list(clause.lines),
        "children": [_clause_json(c) for c in clause.children],
    }


def api_version(
    urls: Urls, base_url: str, policy: PolicyInfo, version: VersionInfo, document: Document
) -> dict[str, Any]:
    """``/api/<slug>/v/<label>.json``: one version and its clause tree."""
    link = urls.absolute(base_url)
    data = _version_json(link, policy.slug, version)
    data["policy"] = policy.slug
    data["clauses"] = [_clause_json(c) for c in document.clauses]
    return data


def clauses_json(document: Document) -> str:
    """The clause tree of a document as JSON text (the ``clauses`` of a version's API file)."""
    return json.dumps([_clause_json(c) for c in document.clauses], ensure_ascii=False)


def api_version_json(
    urls: Urls, base_url: str, policy: PolicyInfo, version: VersionInfo, clauses: str
) -> str:
    """:func:`api_version` as JSON text, from the clause tree's JSON (:func:`clauses_json`),
    which a site caches per blob."""
    link = urls.absolute(base_url)
    data = _version_json(link, policy.slug, version)
    data["policy"] = policy.slug
    head = json.dumps(data, ensure_ascii=False)
    return head[:-1] + ', "clauses": ' + clauses + "}"


def api_changes(changeset: ChangeSet) -> dict[str, Any]:
    """``/api/<slug>/changes/<old>..<new>.json``: the change set as ``publisher diff
    --format json --compact`` prints it (clauses by id and hash; their texts are in the
    versions' JSON, whose clauses carry the same ``sha256``)."""
    return render_json(changeset, compact=True)
