"""policy-publisher: public policies kept as Markdown in git, published, compared and accepted."""

__version__ = "0.1.0"
