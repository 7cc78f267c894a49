"""The shared jinja2 environment: the package's templates, optionally overridden by a site.

Every HTML the product shows (the public site, change notices, acceptance pages) is rendered
through :func:`environment`, so one fragment (``fragments/policy_body.html``,
``fragments/redline.html`` …) serves them all and a provider restyles everything from one
folder: a template of the same name in the override folder wins over the package's.

Autoescaping is on for every template except plain-text ones (``*.txt``, e.g. the text part of
a notice email, where HTML entities would be wrong) and stylesheets (``*.css``, where an escaped
quote breaks a selector such as ``[data-material="false"]``); HTML that is already safe (sanitised
policy bodies, rendered redlines) is passed in as :class:`markupsafe.Markup`.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import lru_cache, partial
from importlib import resources
from pathlib import Path

import jinja2

from publisher.config import Settings
from publisher.counting import counted
from publisher.diff.wording import describe_summary
from publisher.errors import ConfigError
from publisher.i18n.catalogs import format_long_date, translations, ui_language
from publisher.urls import label_path

__all__ = ["environment", "templates_fingerprint", "templates_folder"]

PACKAGE_TEMPLATES = "templates"


def _isodate(value: date | datetime | None) -> str:
    return value.isoformat() if value is not None else ""


class _SharedBytecode(jinja2.BytecodeCache):
    """Compiled templates kept in memory and shared by every environment: the environments of
    one override folder differ only in their UI language, whose strings are looked up when a
    template renders (``_()`` calls the environment's gettext), so a template compiles once
    per process, not once per language. Keyed by template name, file and source hash (jinja2)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()


@lru_cache(maxsize=32)
def _environment(override: str | None, language: str) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if override is not None:
        loaders.append(jinja2.FileSystemLoader(override))
    loaders.append(jinja2.PackageLoader("publisher", PACKAGE_TEMPLATES))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            disabled_extensions=("txt", "css"), default_for_string=True, default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=400,
        extensions=["jinja2.ext.i18n"],
        bytecode_cache=_BYTECODE,
    )
    ui = translations(language)
    env.install_gettext_translations(ui, newstyle=True)  # type: ignore[attr-defined]
    env.globals["ui_language"] = language
    env.filters["isodate"] = _isodate
    env.filters["long_date"] = partial(format_long_date, language=language)
    env.filters["plural"] = counted
    env.filters["changes_summary"] = partial(describe_summary, t=ui)
    env.filters["label_path"] = label_path
    return env


def environment(
    override_dir: Path | str | None = None, *, language: str | None = None
) -> jinja2.Environment:
    """The jinja2 environment: ``override_dir`` (if given) in front of the package's
    ``publisher/templates``, with our UI strings (``_()``, ``ngettext()``), the
    ``long_date`` filter and the ``changes_summary`` filter (a change summary in words) in
    ``language`` (a tag; its UI language, see
    :func:`publisher.i18n.catalogs.ui_language`; default English). Environments are shared per
    override folder and UI language, so templates are compiled once per process. Autoescape is
    on (except for ``*.txt`` and ``*.css`` templates); undefined variables are errors."""
    key = str(Path(override_dir).resolve()) if override_dir is not None else None
    return _environment(key, ui_language(language))


DEFAULT_TEMPLATES = "templates"


def templates_folder(settings: Settings) -> Path | None:
    """The folder the ``templates`` setting names (made absolute against the repository),
    whose templates override the package's for the site, notices and acceptance pages
    alike; None when the default ``templates/`` does not exist. A folder set to anything
    else must exist (ConfigError)."""
    folder = settings.resolve(settings.templates)
    if folder.is_dir():
        return folder
    if settings.templates in (DEFAULT_TEMPLATES, DEFAULT_TEMPLATES + "/"):
        return None
    raise ConfigError(
        f"the templates folder {settings.templates} does not exist",
        hint="create it, or unset the templates setting to use the built-in templates",
    )


def templates_fingerprint(override_dir: Path | str | None = None) -> str:
    """A hash of every template that :func:`environment` can load (the package's and the
    override folder's): rendered output cached under it is stale when any template changed."""
    digest = hashlib.sha256()
    roots: list[Path] = []
    if override_dir is not None and Path(override_dir).is_dir():
        roots.append(Path(override_dir))
    package = resources.files("publisher") / PACKAGE_TEMPLATES
    roots.append(Path(str(package)))
    roots.append(Path(str(resources.files("publisher") / "i18n" / "locale")))  # UI strings
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]
