from pathlib import Path

import pytest
from pydantic import ValidationError

from polyshop.config import Mode, Settings


def test_no_settings_means_embedded_mode_under_var(monkeypatch: pytest.MonkeyPatch):
    for name in ("POLYSHOP_DATABASE_URL", "POLYSHOP_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)

    settings = Settings()

    assert settings.mode is Mode.EMBEDDED
    assert settings.sqlite_path == Path("var/polyshop.sqlite3")


def test_a_postgres_url_means_server_mode_and_other_schemes_are_refused():
    assert Settings(database_url="postgres://u@h/db").database_url == "postgresql://u@h/db"
    assert Settings(database_url="postgresql://u@h/db").mode is Mode.SERVER
    with pytest.raises(ValidationError, match="postgresql://"):
        Settings(database_url="mysql://u@h/db")
    with pytest.raises(ValidationError):
        Settings(port=70000)
