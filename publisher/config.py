"""Typed settings, declared as data.

Each setting is read, last wins, from: built-in default → ``[tool.publisher]`` in the policy
repository's ``pyproject.toml`` or ``publisher.toml`` → env ``PUBLISHER_<NAME>`` → a flag.
Every setting has a type and a description (``publisher config --help`` and the docs list
them); validation collects every error before failing.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from publisher.errors import ConfigError


def _setting(default: Any, doc: str, *, parse: Callable[[str], Any] | None = None) -> Any:
    return field(default=default, metadata={"doc": doc, "parse": parse})


def _parse_int(value: str) -> int:
    return int(value)


def _parse_keys(value: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in value.split(",") if k.strip())


@dataclass(frozen=True)
class Settings:
    """Every setting of policy-publisher. Field names are the contract (see DESIGN)."""

    policies: str = _setting(
        "policies/**/*.md", "Glob of the files that are policies, relative to the repository root."
    )
    exclude: tuple[str, ...] = _setting(
        (),
        "Globs (comma-separated, or a list) of files that the policies glob matches but that are no "
        "policies, relative to the repository root, e.g. 'drafts/**, **/NOTES.md'. README.md, "
        "LICENSE.md, CODE_OF_CONDUCT.md, CONTRIBUTING.md and CHANGELOG.md in the glob's folder are "
        "skipped without it.",
        parse=_parse_keys,
    )
    default_language: str = _setting(
        "en",
        "The language of the source policies (a BCP 47 tag): a file without a language in its path "
        "or front matter `lang` is in it; other languages are translations.",
    )
    languages: tuple[str, ...] = _setting(
        (),
        "The languages policies are published in, in order (comma-separated, or a list), e.g. "
        "'en, de, pt-BR'; a folder or stem suffix is a language only if listed. Empty: every "
        "ISO 639-1 code (with an optional region) found in paths or front matter.",
        parse=_parse_keys,
    )
    binding_language: str = _setting(
        "",
        "The language whose text prevails (a BCP 47 tag, e.g. en): every page of a translation in "
        "another language says so in one line. Empty: no such line.",
    )
    translation_lag_grace_days: int = _setting(
        0,
        "Days a translation may lag a newer source version that is already in force before lint's "
        "translation-lag is an error rather than a warning.",
        parse=_parse_int,
    )
    database_url: str = _setting(
        "sqlite:///.publisher/publisher.db",
        "SQLAlchemy URL of the acceptance store (SQLite file by default; postgresql+psycopg://… for PostgreSQL).",
    )
    secret_key: tuple[str, ...] = _setting(
        (),
        "Signing keys for acceptance links, comma-separated, newest last. If none is set, one random key "
        "is generated once into .publisher/secret_key (mode 0600) with a warning.",
        parse=_parse_keys,
    )
    accept_url: str = _setting(
        "http://127.0.0.1:8000", "Public base URL of the acceptance service, used in links."
    )
    site_url: str = _setting(
        "http://127.0.0.1:8001", "Public base URL of the policy site, used in emails and feeds."
    )
    outbox_dir: str = _setting(".publisher/outbox", "Where the folder mailer writes .eml files.")
    spelling_variants: str = _setting(
        "breame",
        "British/American spelling variants the diff treats as editorial: breame (its word list), none, or a file of 'british american' pairs.",
    )
    notice_days: int = _setting(
        30,
        "Minimum days of notice between a notice and the effective date of a material change.",
        parse=_parse_int,
    )
    mailer: str = _setting("folder", "How notices are sent: folder, smtp or sendgrid.")
    cache_dir: str = _setting(
        ".publisher/cache", "Where parsed documents and change sets are cached (by blob sha)."
    )
    templates: str = _setting(
        "templates",
        "Folder of templates that override the built-in ones of the same relative name, for "
        "the site, the notice emails and the acceptance pages (relative to the repository).",
    )
    branch: str = _setting("HEAD", "The publishing branch whose history defines versions.")
    link_max_age_days: int = _setting(
        90, "Days an acceptance link stays valid after it was signed.", parse=_parse_int
    )
    api_token: str = _setting(
        "",
        "Bearer token for the acceptance service's JSON reports API (empty: the API is disabled).",
    )
    api_tokens: tuple[str, ...] = _setting(
        (),
        "More API bearer tokens, each limited to scopes: comma-separated SCOPES:TOKEN entries, "
        "SCOPES one of status, write, reports or several joined by '+' "
        "(e.g. status:TOKEN1,status+write:TOKEN2); api_token may do everything.",
        parse=_parse_keys,
    )
    status_cache_size: int = _setting(
        10000,
        "Status API answers the acceptance service keeps in memory (least recently used "
        "evicted first), each checked against the store's change mark on every request; "
        "0: read the store for every request.",
        parse=_parse_int,
    )
    trusted_proxy_header: str = _setting(
        "",
        "Header carrying the client IP set by a reverse proxy, e.g. X-Forwarded-For "
        "(empty: record the socket peer's address).",
    )
    trusted_proxies: tuple[str, ...] = _setting(
        ("127.0.0.1", "::1"),
        "Addresses or networks (comma-separated) of the proxies allowed to set "
        "trusted_proxy_header; the header from anyone else is ignored.",
        parse=_parse_keys,
    )
    mail_from: str = _setting(
        "",
        "Sender of change notices, e.g. 'Northwind Legal <legal@northwind.example>' "
        "(required by the smtp and sendgrid mailers).",
    )
    reply_to: str = _setting("", "Reply-To address of change notices (empty: none).")
    provider: str = _setting(
        "",
        "The provider's (organisation's) name, shown on acceptance receipts, e.g. "
        "'Northwind Cloud Ltd' (empty: the display name of mail_from, else the site's host name).",
    )
    contact: str = _setting(
        "",
        "How customers reach the provider about a notice, shown in the email "
        "(empty: the mail_from address).",
    )
    remind_after_days: int = _setting(
        14,
        "Days after a notice (or the last reminder) before `publisher notice remind` "
        "writes again to customers who have not accepted.",
        parse=_parse_int,
    )
    receipts: str = _setting(
        "off",
        "Receipt emails after an acceptance is recorded (link, API or on behalf of an "
        "organisation): off, or email (to the customer, and to the member who accepted for an "
        "organisation), sent by `publisher notice receipts` through the mailer setting.",
    )
    mail_timeout: int = _setting(
        30,
        "Seconds to wait for the SMTP server or the SendGrid API before giving up.",
        parse=_parse_int,
    )
    smtp_host: str = _setting("localhost", "SMTP server host name of the smtp mailer.")
    smtp_port: int = _setting(
        587, "SMTP server port (587 for starttls, 465 for ssl, 25 for none).", parse=_parse_int
    )
    smtp_security: str = _setting("starttls", "SMTP transport security: starttls, ssl or none.")
    smtp_username: str = _setting("", "SMTP login user name (empty: no authentication).")
    smtp_password: str = _setting(
        "", "SMTP login password (use PUBLISHER_SMTP_PASSWORD, not a file)."
    )
    sendgrid_api_key: str = _setting(
        "", "SendGrid API key of the sendgrid mailer (use PUBLISHER_SENDGRID_API_KEY)."
    )
    sendgrid_host: str = _setting(
        "https://api.sendgrid.com",
        "Base URL of the SendGrid API (https://api.eu.sendgrid.com for EU data residency; "
        "a local server in tests).",
    )
    sendgrid_webhook_key: str = _setting(
        "",
        "SendGrid's Event Webhook verification key (base64 public key from Mail Settings > "
        "Event Webhook > Signature Verification); empty: POST /webhooks/sendgrid is refused.",
    )
    evidence_key: str = _setting(
        "",
        "Ed25519 private key (base64 of its 32 raw bytes) that signs ledger anchors and evidence "
        "certificates (use PUBLISHER_EVIDENCE_KEY). If none is set, one is generated once into "
        ".publisher/evidence_key (mode 0600) with a warning.",
    )
    anchor_interval: int = _setting(
        300,
        "Seconds between automatic anchors of the ledger's head into refs/publisher/anchors "
        "(after an acceptance, at most this often; 0: only `publisher audit anchor`).",
        parse=_parse_int,
    )
    retention_days: int = _setting(
        0,
        "Days the IP address and user agent of an acceptance record are kept; "
        "`publisher customers retain` erases older ones (the chain keeps their salted "
        "commitments and still verifies). 0: kept until the customer is erased.",
        parse=_parse_int,
    )

    root: Path = field(
        default=Path("."),
        metadata={
            "doc": "The policy repository (not a setting: found from the working directory or --repo)."
        },
    )

    @property
    def provider_name(self) -> str:
        """Who the policies are from: ``provider``, else mail_from's display name, else the
        host name of ``site_url``."""
        if self.provider.strip():
            return self.provider.strip()
        from email.utils import parseaddr
        from urllib.parse import urlsplit

        name = parseaddr(self.mail_from)[0].strip()
        return name or urlsplit(self.site_url).hostname or self.site_url

    def resolve(self, relative: str) -> Path:
        """A path setting made absolute against the repository root."""
        path = Path(relative)
        return path if path.is_absolute() else self.root / path


MAILERS = ("folder", "smtp", "sendgrid")
RECEIPTS = ("off", "email")
SMTP_SECURITY = ("starttls", "ssl", "none")


def setting_docs() -> dict[str, str]:
    """Name → description of every setting (for --help and the docs test)."""
    return {f.name: f.metadata["doc"] for f in fields(Settings) if f.name != "root"}


def _from_file(root: Path) -> tuple[dict[str, Any], Path | None]:
    for name in ("publisher.toml", "pyproject.toml"):
        path = root / name
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"cannot read {name}: {exc}", path=path, hint="fix the TOML syntax"
            ) from exc
        if name == "publisher.toml":
            table = data.get("tool", {}).get("publisher", data)
        else:
            table = data.get("tool", {}).get("publisher")
            if table is None:
                continue
        if not isinstance(table, dict):
            raise ConfigError("[tool.publisher] must be a table", path=path)
        return table, path
    return {}, None


def load_settings(
    root: Path | str = ".",
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Settings for the policy repository at ``root``: file, then environment, then flags.

    ``overrides`` holds flag values; ``None`` values are ignored (flag not given).
    """
    return explain_settings(root, env=env, overrides=overrides)[0]


def explain_settings(
    root: Path | str = ".",
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[Settings, dict[str, str]]:
    """Like :func:`load_settings`, plus where each value came from: ``default``, the
    file's name, ``env PUBLISHER_…`` or ``flag``."""
    root = Path(root).resolve()
    env = os.environ if env is None else env
    known = {f.name: f for f in fields(Settings) if f.name != "root"}
    values: dict[str, Any] = {}
    sources = dict.fromkeys(known, "default")
    errors: list[str] = []

    table, path = _from_file(root)
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in known:
            errors.append(f"unknown setting {key!r} (known: {', '.join(sorted(known))})")
            continue
        values[name] = value
        sources[name] = path.name if path else "file"

    for name, f in known.items():
        raw = env.get(f"PUBLISHER_{name.upper()}")
        if raw is None or raw == "":
            continue
        parse = f.metadata["parse"]
        try:
            values[name] = parse(raw) if parse else raw
            sources[name] = f"env PUBLISHER_{name.upper()}"
        except ValueError:
            errors.append(f"PUBLISHER_{name.upper()}={raw!r} is not a valid {f.type}")

    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
            sources[name] = "flag"

    settings = Settings(root=root)
    checked: dict[str, Any] = {}
    for name, value in values.items():
        default = getattr(settings, name)
        if isinstance(default, tuple):
            if isinstance(value, str):
                value = _parse_keys(value)
            elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                value = tuple(value)
            else:
                errors.append(f"{name} must be a string or a list of strings, not {value!r}")
                continue
        elif isinstance(default, int) and not isinstance(value, bool):
            if not isinstance(value, int):
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    errors.append(f"{name} must be an integer, not {value!r}")
                    continue
        elif not isinstance(value, str):
            errors.append(f"{name} must be a string, not {value!r}")
            continue
        checked[name] = value
    if "mailer" in checked and checked["mailer"] not in MAILERS:
        errors.append(f"mailer must be one of {', '.join(MAILERS)}, not {checked['mailer']!r}")
    if "receipts" in checked and checked["receipts"] not in RECEIPTS:
        errors.append(f"receipts must be one of {', '.join(RECEIPTS)}, not {checked['receipts']!r}")
    if "notice_days" in checked and checked["notice_days"] < 0:
        errors.append("notice_days must be 0 or more")
    if "status_cache_size" in checked and checked["status_cache_size"] < 0:
        errors.append("status_cache_size must be 0 or more")
    if "link_max_age_days" in checked and checked["link_max_age_days"] < 1:
        errors.append("link_max_age_days must be 1 or more")
    if "smtp_security" in checked and checked["smtp_security"] not in SMTP_SECURITY:
        errors.append(
            f"smtp_security must be one of {', '.join(SMTP_SECURITY)}, "
            f"not {checked['smtp_security']!r}"
        )
    if "translation_lag_grace_days" in checked and checked["translation_lag_grace_days"] < 0:
        errors.append("translation_lag_grace_days must be 0 or more")
    from publisher.languages import valid_tag

    for tag in (
        checked.get("default_language", ""),
        checked.get("binding_language", ""),
        *checked.get("languages", ()),
    ):
        if tag and not valid_tag(tag):
            errors.append(f"{tag!r} is not a language tag (use BCP 47 tags such as en, de, pt-BR)")
    for name in ("remind_after_days", "mail_timeout", "smtp_port"):
        if name in checked and checked[name] < 1:
            errors.append(f"{name} must be 1 or more")
    if errors:
        raise ConfigError(
            "invalid configuration:\n  " + "\n  ".join(errors),
            path=path,
            hint="see `publisher settings` for every setting and its type",
        )
    return replace(settings, **checked), sources
