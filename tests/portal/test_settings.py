"""Bad settings stop start-up with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_up(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("DATABASE_URL", "mysql://root@localhost/portal"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432"),
        ("REDIS_URL", "localhost:6379"),
        ("DEBUG", "maybe"),
        ("PROOF_MAX_FILE_MB", "-3"),
        ("PROOF_STORAGE", "ftp"),
        ("CONN_MAX_AGE", "forever"),
    ],
)
def test_bad_value_is_refused_naming_the_variable(name, value):
    result = start_up(**{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    last_line = result.stderr.strip().splitlines()[-1]
    assert f"{name}=" in last_line, last_line


def test_production_without_secret_key_is_refused():
    result = start_up(DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_good_settings_start(tmp_path):
    result = start_up(
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3", REDIS_URL="redis://127.0.0.1:6379/0"
    )
    assert result.returncode == 0, result.stderr
