"""Settings from the environment, and secrets that are never constants in the code."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from admin_app.config import (
    SECRET_NAMES,
    SECRETS_FILE,
    database_url,
    fill_secrets,
    read_write_sqlite,
    settings_from_environment,
    sqlite_file,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db:5432/walkin", "postgresql+psycopg://u:p@db:5432/walkin"),
        ("postgresql://u@db/walkin", "postgresql+psycopg://u@db/walkin"),
        ("postgresql+psycopg://u@db/walkin", "postgresql+psycopg://u@db/walkin"),
        ("sqlite:////tmp/other.sqlite3", "sqlite:////tmp/other.sqlite3"),
    ],
)
def test_database_url_maps_postgres_urls_to_psycopg3(raw, expected):
    assert database_url(raw, "/srv/instance") == expected


def test_default_database_is_a_sqlite_file_in_the_instance_folder():
    assert database_url(None, "/srv/instance") == "sqlite:////srv/instance/walkin.sqlite3"


def test_environment_settings_are_read(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://db/walkin")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.delenv("SECURITY_PASSWORD_SALT", raising=False)

    settings = settings_from_environment(str(tmp_path))

    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db/walkin"
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert "SECURITY_PASSWORD_SALT" not in settings


def test_missing_secrets_are_generated_once_in_a_private_file(tmp_path):
    first: dict[str, object] = {}
    second: dict[str, object] = {}

    fill_secrets(first, str(tmp_path))
    fill_secrets(second, str(tmp_path))

    path = tmp_path / SECRETS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first == second
    assert len(first["SECRET_KEY"]) >= 40 and first["SECRET_KEY"] != first["SECURITY_PASSWORD_SALT"]
    assert json.loads(path.read_text()) == {k: v for k, v in first.items() if k in SECRET_NAMES}
    assert [p.name for p in tmp_path.iterdir()] == [SECRETS_FILE]


def test_secrets_from_the_environment_write_no_file(tmp_path):
    settings = {"SECRET_KEY": "k" * 40, "SECURITY_PASSWORD_SALT": "s" * 40, "TOTP_SECRET": "t" * 40}

    fill_secrets(settings, str(tmp_path))

    assert settings["SECRET_KEY"] == "k" * 40
    assert list(tmp_path.iterdir()) == []


def test_each_instance_gets_its_own_secrets(tmp_path):
    one: dict[str, object] = {}
    other: dict[str, object] = {}

    fill_secrets(one, str(tmp_path / "one"))
    fill_secrets(other, str(tmp_path / "other"))

    assert one["SECRET_KEY"] != other["SECRET_KEY"]


def test_a_secret_added_later_is_generated_without_changing_the_others(tmp_path):
    path = tmp_path / SECRETS_FILE
    path.write_text(json.dumps({"SECRET_KEY": "kept-key", "SECURITY_PASSWORD_SALT": "kept-salt"}))

    settings: dict[str, object] = {}
    fill_secrets(settings, str(tmp_path))

    assert (settings["SECRET_KEY"], settings["SECURITY_PASSWORD_SALT"]) == ("kept-key", "kept-salt")
    assert len(settings["TOTP_SECRET"]) >= 40
    assert settings["SECURITY_TOTP_SECRETS"] == {"1": settings["TOTP_SECRET"]}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_request_size_limit_is_one_megabyte_unless_set(monkeypatch, tmp_path):
    monkeypatch.delenv("MAX_CONTENT_LENGTH", raising=False)
    default = settings_from_environment(str(tmp_path))["MAX_CONTENT_LENGTH"]
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "2097152")

    assert default == 1024 * 1024
    assert settings_from_environment(str(tmp_path))["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024


def test_throttling_is_on_unless_turned_off(monkeypatch, tmp_path):
    monkeypatch.delenv("RATELIMIT_ENABLED", raising=False)
    default = settings_from_environment(str(tmp_path))["RATELIMIT_ENABLED"]
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")

    assert default is True
    assert settings_from_environment(str(tmp_path))["RATELIMIT_ENABLED"] is False


def test_sqlite_files_are_opened_read_write_only_so_a_missing_file_is_an_error():
    url = read_write_sqlite("sqlite:////srv/my instance/walkin.sqlite3")

    assert url == "sqlite:///file%3A/srv/my%2520instance/walkin.sqlite3?mode=rw&uri=true"
    assert sqlite_file(url) == Path("/srv/my instance/walkin.sqlite3")
    assert read_write_sqlite(url) == url
    assert (
        read_write_sqlite("postgresql+psycopg://u@db/walkin") == "postgresql+psycopg://u@db/walkin"
    )
    assert sqlite_file("postgresql+psycopg://u@db/walkin") is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INVOICE_VAT_RATE", "twenty"),
        ("INVOICE_VAT_RATE", "100"),
        ("INVOICE_VAT_RATE", "-5"),
        ("INVOICE_VAT_RATE", "NaN"),
        ("REPORT_TIME_ZONE", "Europe/Atlantis"),
        ("REPORT_TIME_ZONE", "../etc/passwd"),
    ],
)
def test_a_wrong_vat_rate_or_report_zone_stops_the_app_at_start(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(name, value)

    with pytest.raises(ValueError, match=name):
        settings_from_environment(str(tmp_path))


def test_vat_rate_and_report_zone_are_read(monkeypatch, tmp_path):
    monkeypatch.setenv("INVOICE_VAT_RATE", " 5.5 ")
    monkeypatch.setenv("REPORT_TIME_ZONE", "America/Montreal")

    settings = settings_from_environment(str(tmp_path))

    assert (settings["INVOICE_VAT_RATE"], settings["REPORT_TIME_ZONE"]) == (
        "5.5",
        "America/Montreal",
    )
