from __future__ import annotations

import pytest

from jupyter_orch.durations import format_duration, parse_duration
from jupyter_orch.outputs import OUTPUT_MIMETYPE, outputs_from_notebook, record
from jupyter_orch.spec import EffectivePolicy


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h30m", 5400),
        ("2d", 172800),
        ("500ms", 0.5),
        (90, 90),
        ("1.5h", 5400),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["5x", "", "m5", "1h 2q", True, [1], "-5s"])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_format_duration() -> None:
    assert [format_duration(s) for s in (None, 0.84, 12.2, 185, 3720)] == [
        "-",
        "0.8s",
        "12s",
        "3m05s",
        "1h02m",
    ]


def test_retry_delays_back_off_to_a_cap() -> None:
    policy = EffectivePolicy(retries=5, retry_delay=10, retry_backoff=2, retry_max_delay=35)
    assert [policy.delay_before(n) for n in (2, 3, 4, 5)] == [10, 20, 35, 35]


def test_record_displays_quietly_and_reads_back(capsys: pytest.CaptureFixture[str]) -> None:
    record("records_count", 98)
    assert "jupyter_orch output records_count = 98" in capsys.readouterr().out
    nb = {
        "cells": [
            {
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {OUTPUT_MIMETYPE: {"name": "a", "value": 1}},
                    }
                ]
            },
            {"outputs": [{"output_type": "stream", "text": "x"}]},
            {
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {OUTPUT_MIMETYPE: {"name": "a", "value": [2]}},
                    }
                ]
            },
        ]
    }
    assert outputs_from_notebook(nb) == {"a": [2]}


@pytest.mark.parametrize(
    ("name", "value"), [("1x", 1), ("ok", object()), ("ok", float("nan")), ("ok", "x" * 70000)]
)
def test_record_rejects_bad_outputs(name: str, value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        record(name, value)
