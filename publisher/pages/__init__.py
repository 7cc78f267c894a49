"""Rendering of the public site's pages, feeds and API payloads. Pure: values in, strings and
dicts out (no git, no files, no clock: "today" and every URL base are passed in).

The site model (:mod:`publisher.site`) decides which pages exist and gathers their values;
this package turns them into HTML fragments through the shared jinja2 templates
(:mod:`publisher.templating`, ``templates/site/`` and ``templates/fragments/``), Atom XML and
JSON-ready dicts, one module per concern: :mod:`.model` (the values), :mod:`.bodies` (a
policy's text), :mod:`.toc` (tables of contents), :mod:`.views` (the HTML pages), :mod:`.titles` (page
titles), :mod:`.feeds` and :mod:`.api`. Every page's own words and dates are in its language
(``PageContext.language``, the gettext catalogs of :mod:`publisher.i18n`). The URL scheme is :mod:`publisher.urls`.
"""

from __future__ import annotations

from publisher.pages.api import (
    api_changes,
    api_policies,
    api_version,
    api_version_json,
    api_versions,
    clauses_json,
)
from publisher.pages.bodies import BodyNode, ListGroup, body_tree, policy_body, rewrite_policy_links
from publisher.pages.feeds import policy_feed, site_feed
from publisher.pages.model import PolicyInfo, Status, VersionInfo
from publisher.pages.titles import changes_title, history_title, version_title
from publisher.pages.toc import TocEntry, changes_toc, document_toc, versions_toc
from publisher.pages.views import (
    PageContext,
    changes_page,
    policies_index,
    version_page,
    versions_page,
)
from publisher.urls import Linker, Urls, label_path, relative_url

__all__ = [
    "BodyNode",
    "Linker",
    "ListGroup",
    "PageContext",
    "PolicyInfo",
    "Status",
    "TocEntry",
    "Urls",
    "VersionInfo",
    "api_changes",
    "api_policies",
    "api_version",
    "api_version_json",
    "api_versions",
    "body_tree",
    "changes_page",
    "changes_title",
    "changes_toc",
    "clauses_json",
    "document_toc",
    "history_title",
    "label_path",
    "policies_index",
    "policy_body",
    "policy_feed",
    "relative_url",
    "rewrite_policy_links",
    "site_feed",
    "version_page",
    "version_title",
    "versions_page",
    "versions_toc",
]
