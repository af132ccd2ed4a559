"""quote_credit and POST /api/v1/quotes/ follow the contract of SLA_RULES.md to the letter."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db

EXAMPLE = {
    "policy": "groupspark",
    "monthly_fee": "720.00",
    "downtime": [
        {
            "start": "2026-03-10T14:00:00-05:00",
            "end": "2026-03-10T14:20:00-05:00",
            "exception": None,
        }
    ],
    "mrc_paid": "720.00",
    "already_credited": "0.00",
}


def run_command(payload, tmp_path, *args):
    path = tmp_path / "in.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    out = tmp_path / "out.txt"
    with open(out, "w") as stdout:
        call_command("quote_credit", "--input", str(path), *args, stdout=stdout)
    return json.loads(out.read_text())


def test_command_answers_the_contract_example(tmp_path):
    result = run_command(EXAMPLE, tmp_path)
    assert result["credit"] == "1.00"
    [month] = result["months"]
    assert month["month"] == "2026-03"
    assert month["qualifying_downtime_minutes"] == 20.0
    # (31 x 86400 - 1200) / (31 x 86400) x 100 = 99.95519713...
    assert round(month["availability_percent"], 4) == 99.9552
    assert month["commitment_met"] is False
    assert month["credit"] == "1.00"
    assert month["capped"] is False
    assert set(month) == {
        "month",
        "qualifying_downtime_minutes",
        "availability_percent",
        "commitment_met",
        "credit",
        "capped",
    }


def test_command_batch_keeps_order(tmp_path):
    onepointsync = {
        "policy": "onepointsync",
        "monthly_fee": "310.00",
        # 47 minutes -> 3 complete blocks x 310.00 / 31 = 30.00
        "downtime": [{"start": "2026-03-10T12:00:00-07:00", "end": "2026-03-10T12:47:00-07:00"}],
    }
    result = run_command([EXAMPLE, onepointsync, {**EXAMPLE, "downtime": []}], tmp_path)
    assert [r["credit"] for r in result] == ["1.00", "30.00", "0.00"]
    assert result[2]["months"] == []


def test_command_breakdown_explains_itself(tmp_path):
    payload = {**EXAMPLE, "policy": "onepointsync", "monthly_fee": "310.00"}
    result = run_command(payload, tmp_path, "--breakdown")
    lines = " ".join(result["months"][0]["breakdown"])
    assert "1 complete 15-minute block" in lines


def command(stdin, *args, capsys, monkeypatch):
    """quote_credit as `python manage.py quote_credit` runs it, in this process: (exit status,
    standard output, standard error)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    out = io.StringIO()
    try:
        call_command("quote_credit", *args, stdout=out)
    except SystemExit as exit:
        status = exit.code
    else:
        status = 0
    return status, out.getvalue(), capsys.readouterr().err


def real_command(stdin, *args):
    """The command in its own process, as an outside tool runs it, on the test database."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "quote_credit", *args],
        input=stdin,
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ("{not json", "input"),
        (json.dumps({**EXAMPLE, "policy": "nope"}), "policy"),
        (json.dumps({k: v for k, v in EXAMPLE.items() if k != "policy"}), "policy"),
        (json.dumps({**EXAMPLE, "monthly_fee": "-1"}), "monthly_fee"),
        (json.dumps({**EXAMPLE, "monthly_fee": "abc"}), "monthly_fee"),
        (json.dumps({**EXAMPLE, "mrc_paid": "x"}), "mrc_paid"),
        (json.dumps({**EXAMPLE, "already_credited": "-0.01"}), "already_credited"),
        (
            json.dumps(
                {
                    **EXAMPLE,
                    "downtime": [{"start": "2026-03-10T14:00:00", "end": "2026-03-10T15:00:00Z"}],
                }
            ),
            "downtime[0].start",
        ),
        (
            json.dumps(
                {
                    **EXAMPLE,
                    "downtime": [{"start": "2026-03-10T14:00:00Z", "end": "2026-03-10T14:00:00Z"}],
                }
            ),
            "downtime[0].end",
        ),
        (
            json.dumps(
                {**EXAMPLE, "downtime": [{**EXAMPLE["downtime"][0], "exception": "cosmic-rays"}]}
            ),
            "downtime[0].exception",
        ),
        (
            json.dumps(
                {
                    **EXAMPLE,
                    "maintenance": [
                        {
                            "start": "2026-03-10T14:00:00Z",
                            "end": "2026-03-10T13:00:00Z",
                            "notice_at": None,
                        }
                    ],
                }
            ),
            "maintenance[0].end",
        ),
        (json.dumps([EXAMPLE, {**EXAMPLE, "monthly_fee": "x"}]), "[1].monthly_fee"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_field(payload, field, capsys, monkeypatch):
    status, out, err = command(payload.encode(), capsys=capsys, monkeypatch=monkeypatch)
    assert status == 2, err
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(field), err


def test_command_reads_stdin_and_answers(capsys, monkeypatch):
    status, out, err = command(json.dumps(EXAMPLE).encode(), capsys=capsys, monkeypatch=monkeypatch)
    assert status == 0, err
    assert json.loads(out)["credit"] == "1.00"


def test_missing_input_file_is_a_clear_refusal(capsys, monkeypatch):
    status, _, err = command(
        b"", "--input", "/nonexistent/in.json", capsys=capsys, monkeypatch=monkeypatch
    )
    assert status == 2
    assert err.startswith("--input: cannot read /nonexistent/in.json")


@pytest.mark.postgres_only  # another process cannot open the in-memory SQLite test database
def test_real_command_in_its_own_process():
    """The one smoke test of the real process: stdin in, JSON out, exit status 2 on bad input."""
    answered = real_command(json.dumps(EXAMPLE).encode())
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout)["credit"] == "1.00"
    refused = real_command(b"{not json")
    assert refused.returncode == 2
    assert refused.stdout == b""
    assert refused.stderr.decode().startswith("input") and refused.stderr.count(b"\n") == 1


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


def test_api_answers_the_same_json_as_the_command(api, tmp_path):
    payload = [EXAMPLE, {**EXAMPLE, "policy": "tiered-example"}]
    response = api.post(
        "/api/v1/quotes/", data=json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == run_command(payload, tmp_path)


def test_api_bad_input_is_400_with_field_errors(api):
    bad = {**EXAMPLE, "downtime": [{"start": "2026-03-10T14:00:00", "end": "2026-03-10T15:00:00Z"}]}
    response = api.post("/api/v1/quotes/", data=json.dumps(bad), content_type="application/json")
    assert response.status_code == 400
    [(field, messages)] = response.json().items()
    assert field == "downtime[0].start"
    assert "offset" in messages[0]


def test_api_malformed_json_is_400(api):
    response = api.post("/api/v1/quotes/", data="{oops", content_type="application/json")
    assert response.status_code == 400


def test_api_needs_a_login(db):
    response = APIClient().post(
        "/api/v1/quotes/", data=json.dumps(EXAMPLE), content_type="application/json"
    )
    assert response.status_code in (401, 403)


def test_api_is_in_the_openapi_schema(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/quotes/"]["post"]
    assert set(operation["responses"]) >= {"200", "400"}
