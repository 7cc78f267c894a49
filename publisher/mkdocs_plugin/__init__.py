"""The ``policies`` mkdocs plugin and the mkdocs side of ``publisher build``/``serve``.

The only place that imports mkdocs (mkdocs 1.x is unmaintained upstream; its successors are in
flux): :mod:`.plugin` adapts the site model (:mod:`publisher.site`) to an mkdocs build,
:mod:`.commands` runs mkdocs for the CLI, :mod:`.output` makes ``publisher build`` write in
place and render only what can have changed. Options are documented in docs/site.md.
"""

from __future__ import annotations

from publisher.mkdocs_plugin.commands import BuildResult, build, serve
from publisher.mkdocs_plugin.plugin import INDEX_MARKER, PoliciesConfig, PoliciesPlugin

__all__ = ["INDEX_MARKER", "BuildResult", "PoliciesConfig", "PoliciesPlugin", "build", "serve"]
