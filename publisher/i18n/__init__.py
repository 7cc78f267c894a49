"""Our own UI in the reader's language: locale fallback chains, gettext catalogs, dates.

- :mod:`publisher.i18n.locales`: which language a customer's ``locale`` gets
  (``pt-BR`` -> ``pt`` -> the default language).
- :mod:`publisher.i18n.catalogs`: the gettext catalogs (``publisher/i18n/locale/<lang>/
  LC_MESSAGES/messages.po``, read and compiled by Babel when first used) and dates formatted
  by Babel in each locale.
"""

from __future__ import annotations

from publisher.i18n.catalogs import UI_LANGUAGES, format_long_date, translations
from publisher.i18n.locales import fallback_chain, pick_language

__all__ = ["UI_LANGUAGES", "fallback_chain", "format_long_date", "pick_language", "translations"]
