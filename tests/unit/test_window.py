from datetime import UTC, datetime, timedelta

import pytest

from amazon_passweb.importer.window import (
    AMAZON_END_MARGIN,
    FIRST_RUN_LOOKBACK,
    OVERLAP,
    RunKind,
    Window,
    compute_window,
    next_watermark,
    parse_requested_start,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
WM = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", [RunKind.MANUAL, RunKind.SCHEDULED, RunKind.PRE_SYNC])
def test_regular_runs_read_from_watermark_less_overlap_to_two_minutes_ago(kind):
    window = compute_window(kind, NOW, WM)
    assert window.start == WM - OVERLAP
    assert window.end == NOW - AMAZON_END_MARGIN == NOW - timedelta(minutes=2)


def test_first_run_without_watermark_looks_back():
    assert compute_window(RunKind.SCHEDULED, NOW, None).start == NOW - FIRST_RUN_LOOKBACK


def test_requested_start_wins_over_watermark():
    asked = datetime(2026, 10, 1, tzinfo=UTC)
    assert compute_window(RunKind.MANUAL, NOW, WM, requested_start=asked).start == asked


def test_backfill_reads_its_interval_clamped_to_amazon_limit():
    interval = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))
    assert compute_window(RunKind.BACKFILL, NOW, WM, interval=interval) == Window(*interval, RunKind.BACKFILL)
    late = (NOW - timedelta(hours=1), NOW)
    assert compute_window(RunKind.BACKFILL, NOW, WM, interval=late).end == NOW - AMAZON_END_MARGIN
    with pytest.raises(ValueError):
        compute_window(RunKind.BACKFILL, NOW, WM)


def test_watermark_moves_forward_over_contiguous_windows_only():
    regular = compute_window(RunKind.SCHEDULED, NOW, WM)
    assert next_watermark(regular, WM) == regular.end
    past = Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC), RunKind.BACKFILL)
    assert next_watermark(past, WM) == WM  # a backfill of the past never moves it back
    gap = Window(WM + timedelta(hours=1), NOW, RunKind.MANUAL)
    assert next_watermark(gap, WM) == WM  # would skip the hour in between
    assert next_watermark(past, None) == past.end


def test_naive_bounds_are_refused_and_params_parse():
    with pytest.raises(ValueError):
        Window(datetime(2026, 1, 1), NOW, RunKind.MANUAL)
    assert parse_requested_start("2026-11-01T10:00:00Z") == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert parse_requested_start("2026-11-01T10:00:00") == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert parse_requested_start("") is None


@pytest.mark.parametrize("watermark", [WM, None])
def test_an_event_run_reads_no_window_and_keeps_the_watermark(watermark):
    window = compute_window(RunKind.EVENT, NOW, watermark, requested_start=WM - timedelta(days=1))
    assert window.start == window.end == NOW - AMAZON_END_MARGIN and window.is_empty
    assert next_watermark(window, watermark) == watermark
