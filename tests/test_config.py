"""Settings: defaults, then [tool.publisher] / publisher.toml, then PUBLISHER_* env, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.config import load_settings, setting_docs
from publisher.errors import ConfigError


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    assert settings.policies == "policies/**/*.md"
    assert settings.notice_days == 30
    assert settings.mailer == "folder"
    assert settings.secret_key == ()
    assert settings.root == tmp_path.resolve()


def test_file_then_env_then_flags(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.publisher]\npolicies = "legal/*.md"\nnotice_days = 45\n'
    )
    assert load_settings(tmp_path, env={}).policies == "legal/*.md"
    assert load_settings(tmp_path, env={}).notice_days == 45
    env = {"PUBLISHER_NOTICE_DAYS": "60", "PUBLISHER_SECRET_KEY": "old, new"}
    settings = load_settings(tmp_path, env=env)
    assert settings.notice_days == 60
    assert settings.secret_key == ("old", "new")
    settings = load_settings(tmp_path, env=env, overrides={"policies": "x/*.md", "mailer": None})
    assert settings.policies == "x/*.md" and settings.mailer == "folder"


def test_publisher_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.publisher]\npolicies = "a/*.md"\n')
    (tmp_path / "publisher.toml").write_text('policies = "b/*.md"\n')
    assert load_settings(tmp_path, env={}).policies == "b/*.md"


def test_all_errors_are_collected_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "publisher.toml").write_text(
        'notice_days = "soon"\nmailer = "pigeon"\ncolour = 1\n'
    )
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, env={})
    message = str(info.value)
    assert "notice_days must be an integer" in message
    assert "mailer must be one of" in message
    assert "unknown setting 'colour'" in message
    assert info.value.path is not None and info.value.path.endswith("publisher.toml")


def test_bad_env_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PUBLISHER_NOTICE_DAYS"):
        load_settings(tmp_path, env={"PUBLISHER_NOTICE_DAYS": "thirty"})


def test_broken_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.publisher\n")
    with pytest.raises(ConfigError, match=r"cannot read pyproject\.toml"):
        load_settings(tmp_path, env={})


def test_every_setting_has_a_description() -> None:
    docs = setting_docs()
    assert "policies" in docs
    assert all(len(text) > 20 for text in docs.values())
