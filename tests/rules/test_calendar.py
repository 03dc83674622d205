import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from notices_app.rules.calendar import PublishingCalendar, deemed_served, format_date_zh
from notices_app.rules.messages import RuleError

SH = ZoneInfo("Asia/Shanghai")

# October 2013: National Day week 1-7 October off, 调休 make-up days Sunday 29 September and
# Saturday 12 October; the paper skips 1-3 October and never appears on Sundays.
CAL = PublishingCalendar.from_dict(
    {
        "publishing_weekdays": [1, 2, 3, 4, 5, 6],
        "holidays": {"2013-10-01": "国庆节", "2013-10-02": "国庆节", "2013-10-03": "国庆节"},
        "working_weekdays": [1, 2, 3, 4, 5],
        "non_working_days": [f"2013-10-0{d}" for d in range(1, 8)],
        "extra_working_days": ["2013-09-29", "2013-10-12"],
        "cutoff_time": "15:00",
        "max_run_dates": 3,
    }
)


def at(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.mark.parametrize(
    ("day", "publishing"),
    [
        (date(2013, 10, 21), True),  # Monday
        (date(2013, 10, 26), True),  # Saturday
        (date(2013, 10, 20), False),  # Sunday
        (date(2013, 10, 1), False),  # holiday
        (date(2013, 10, 4), True),  # non-working day for the office, but the paper appears
        (date(2013, 10, 12), True),  # make-up Saturday
    ],
)
def test_is_publishing_day(day: date, publishing: bool) -> None:
    assert CAL.is_publishing_day(day) is publishing


@pytest.mark.parametrize(
    ("run_date", "cutoff"),
    [
        (date(2013, 10, 22), at(2013, 10, 21, 15)),  # Tuesday → Monday
        (date(2013, 10, 21), at(2013, 10, 18, 15)),  # Monday → Friday, skipping the weekend
        (date(2013, 10, 8), at(2013, 9, 30, 15)),  # after the holiday week
        (date(2013, 10, 14), at(2013, 10, 12, 15)),  # make-up Saturday is a working day
        (date(2013, 9, 30), at(2013, 9, 29, 15)),  # make-up Sunday too
    ],
)
def test_cutoff_for(run_date: date, cutoff: datetime) -> None:
    got = CAL.cutoff_for(run_date)
    assert got == cutoff
    assert got.tzinfo is not None


def test_cutoff_two_working_days_and_other_time() -> None:
    cal = PublishingCalendar(cutoff_working_days=2, cutoff_time=time(11, 30))
    assert cal.cutoff_for(date(2013, 10, 22)) == at(2013, 10, 18, 11, 30)
    assert PublishingCalendar(cutoff_working_days=0).cutoff_for(date(2013, 10, 22)) == at(2013, 10, 22, 15)


def test_calendar_without_working_days_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="working day"):
        PublishingCalendar(working_weekdays=frozenset()).cutoff_for(date(2013, 10, 22))


def test_cutoff_boundary_in_any_timezone() -> None:
    run = date(2013, 10, 21)
    CAL.check_run_date(run, datetime(2013, 10, 18, 6, 59, 59, tzinfo=UTC))  # 14:59:59 in Shanghai
    with pytest.raises(RuleError) as err:
        CAL.check_run_date(run, datetime(2013, 10, 18, 7, 0, tzinfo=UTC))
    assert err.value.message.code == "run_date.past_cutoff"
    assert "已过截稿时间（10月18日 15:00）" in err.value.message.render("zh")
    assert "2013-10-18 15:00" in err.value.message.render("en")


@pytest.mark.parametrize(
    ("run_date", "code", "zh_fragment"),
    [
        (date(2013, 10, 20), "run_date.not_publishing_day", "2013年10月20日是星期日"),
        (date(2013, 10, 2), "run_date.holiday", "（国庆节）休刊"),
        (date(2013, 10, 15), "run_date.past_cutoff", "10月14日 15:00"),
    ],
)
def test_check_run_date_refusals(run_date: date, code: str, zh_fragment: str) -> None:
    with pytest.raises(RuleError) as err:
        CAL.check_run_date(run_date, at(2013, 10, 14, 16))
    assert err.value.message.code == code
    assert zh_fragment in err.value.message.render()


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        CAL.check_run_date(date(2013, 10, 22), datetime(2013, 10, 20, 12))


@pytest.mark.parametrize(
    ("dates", "for_submission", "code"),
    [
        ([], True, "run_dates.required"),
        ([], False, None),
        ([date(2013, 10, 22), date(2013, 10, 22)], True, "run_dates.duplicate"),
        ([date(2013, 10, d) for d in (22, 23, 24, 25)], True, "run_dates.too_many"),
        ([date(2013, 10, d) for d in (22, 23, 24)], True, None),
        ([date(2013, 10, 22), date(2013, 10, 27)], True, "run_date.not_publishing_day"),
    ],
)
def test_check_run_dates(dates: list[date], for_submission: bool, code: str | None) -> None:
    now = at(2013, 10, 20)
    if code is None:
        CAL.check_run_dates(dates, now, for_submission=for_submission)
    else:
        with pytest.raises(RuleError) as err:
            CAL.check_run_dates(dates, now, for_submission=for_submission)
        assert err.value.message.code == code


def test_publishing_dates() -> None:
    assert CAL.publishing_dates(date(2013, 9, 30), 4) == [
        date(2013, 9, 30),
        date(2013, 10, 4),
        date(2013, 10, 5),
        date(2013, 10, 7),
    ]
    assert CAL.publishing_dates_between(date(2013, 10, 19), date(2013, 10, 22)) == [
        date(2013, 10, 19),
        date(2013, 10, 21),
        date(2013, 10, 22),
    ]
    assert CAL.publishing_dates_between(date(2013, 10, 22), date(2013, 10, 21)) == []


def test_first_open_date() -> None:
    assert CAL.first_open_date(at(2013, 10, 18, 14, 59)) == date(2013, 10, 19)
    # Saturday's and Monday's cut-offs are both Friday 15:00.
    assert CAL.first_open_date(at(2013, 10, 18, 15, 0)) == date(2013, 10, 22)
    assert CAL.first_open_date(at(2013, 10, 19, 9)) == date(2013, 10, 22)


def test_deemed_served_thirty_days_after_last_run() -> None:
    assert deemed_served(date(2013, 10, 21)) == date(2013, 11, 20)
    assert deemed_served(date(2013, 12, 15)) - date(2013, 12, 15) == timedelta(days=30)


def test_round_trip_through_json() -> None:
    data = json.loads(json.dumps(CAL.to_dict()))
    assert PublishingCalendar.from_dict(data) == CAL
    assert data["holidays"]["2013-10-01"] == "国庆节"
    assert PublishingCalendar.from_dict({}) == PublishingCalendar()


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError):
        PublishingCalendar(publishing_weekdays=frozenset({0}))
    with pytest.raises(ValueError):
        PublishingCalendar.from_dict({"timezone": "Mars/Olympus"})


def test_format_dates() -> None:
    assert format_date_zh(date(2013, 10, 20)) == "2013年10月20日"
