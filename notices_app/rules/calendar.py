"""Publishing calendar: which days an edition appears, and the cut-off for each run date.

Stored as data (`to_dict`/`from_dict`, JSON-able) per publication. Weekdays are ISO numbers
(1 = Monday … 7 = Sunday) so the stored form reads the same in any language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notices_app.rules.messages import RuleError, msg

# 民事诉讼法 Art. 95 (2021 revision) / 民诉法解释 Art. 138: service by public notice is deemed
# complete thirty days after the notice is published.
DEEMED_SERVICE_DAYS = 30

WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# A calendar without any working day would loop forever looking for a cut-off.
_MAX_LOOKBACK_DAYS = 400


def format_date_zh(d: date) -> str:
    """2013年10月20日 — the form dates take in print and in messages."""
    return f"{d.year}年{d.month}月{d.day}日"


def _cutoff_label_zh(dt: datetime) -> str:
    return f"{dt.month}月{dt.day}日 {dt:%H:%M}"


def _cutoff_label_en(dt: datetime) -> str:
    return f"{dt:%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class PublishingCalendar:
    """When a publication appears and when copy for each edition is due.

    - `publishing_weekdays`: days an edition normally appears.
    - `holidays`: dates without an edition (date → name, e.g. 国庆节), even on a publishing weekday.
    - `working_weekdays`, `non_working_days`, `extra_working_days`: the office calendar used to
      find the cut-off; `extra_working_days` are the 调休 make-up days (a Saturday or Sunday
      worked to bridge a holiday) and win over everything else.
    - the cut-off is `cutoff_time` on the `cutoff_working_days`-th working day before the run date.
    """

    publishing_weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5, 6})
    holidays: Mapping[date, str] = field(default_factory=dict, hash=False)
    working_weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    non_working_days: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    cutoff_time: time = time(15, 0)
    cutoff_working_days: int = 1
    timezone: str = "Asia/Shanghai"
    max_run_dates: int = 10

    def __post_init__(self) -> None:
        bad = [d for d in (*self.publishing_weekdays, *self.working_weekdays) if not 1 <= d <= 7]
        if bad:
            raise ValueError(f"weekdays are ISO numbers 1..7, got {bad}")
        if self.cutoff_working_days < 0:
            raise ValueError("cutoff_working_days must be >= 0")
        if self.max_run_dates < 1:
            raise ValueError("max_run_dates must be >= 1")
        try:
            ZoneInfo(self.timezone)  # fail at load time, not at the first submission
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown timezone {self.timezone!r}") from err

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # --- serialisation ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, stored with the publication."""
        return {
            "publishing_weekdays": sorted(self.publishing_weekdays),
            "holidays": {d.isoformat(): name for d, name in sorted(self.holidays.items())},
            "working_weekdays": sorted(self.working_weekdays),
            "non_working_days": sorted(d.isoformat() for d in self.non_working_days),
            "extra_working_days": sorted(d.isoformat() for d in self.extra_working_days),
            "cutoff_time": self.cutoff_time.strftime("%H:%M"),
            "cutoff_working_days": self.cutoff_working_days,
            "timezone": self.timezone,
            "max_run_dates": self.max_run_dates,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PublishingCalendar:
        """Inverse of `to_dict`; missing keys take the defaults."""
        default = cls()
        holidays_raw = data.get("holidays", {})
        if not isinstance(holidays_raw, Mapping):  # a plain list of dates is accepted too
            holidays_raw = {d: "" for d in holidays_raw}
        return cls(
            publishing_weekdays=frozenset(
                int(d) for d in data.get("publishing_weekdays", default.publishing_weekdays)
            ),
            holidays={date.fromisoformat(str(k)): str(v) for k, v in holidays_raw.items()},
            working_weekdays=frozenset(
                int(d) for d in data.get("working_weekdays", default.working_weekdays)
            ),
            non_working_days=frozenset(date.fromisoformat(d) for d in data.get("non_working_days", ())),
            extra_working_days=frozenset(date.fromisoformat(d) for d in data.get("extra_working_days", ())),
            cutoff_time=time.fromisoformat(data.get("cutoff_time", "15:00")),
            cutoff_working_days=int(data.get("cutoff_working_days", default.cutoff_working_days)),
            timezone=str(data.get("timezone", default.timezone)),
            max_run_dates=int(data.get("max_run_dates", default.max_run_dates)),
        )

    # --- days ------------------------------------------------------------------------------

    def is_publishing_day(self, d: date) -> bool:
        """True when an edition appears on `d`."""
        return d.isoweekday() in self.publishing_weekdays and d not in self.holidays

    def is_working_day(self, d: date) -> bool:
        """True when the office works on `d` (counts towards the cut-off)."""
        if d in self.extra_working_days:
            return True
        return d.isoweekday() in self.working_weekdays and d not in self.non_working_days

    def cutoff_for(self, run_date: date) -> datetime:
        """Aware datetime after which copy for `run_date` is no longer accepted."""
        d = run_date
        remaining = self.cutoff_working_days
        for _ in range(_MAX_LOOKBACK_DAYS):
            if remaining == 0:
                return datetime.combine(d, self.cutoff_time, tzinfo=self.tz)
            if d == date.min:
                break
            d -= timedelta(days=1)
            if self.is_working_day(d):
                remaining -= 1
        raise ValueError("calendar has no working day to put the cut-off on")

    def _local(self, now: datetime) -> datetime:
        if now.tzinfo is None:
            raise ValueError("`now` must be timezone-aware")
        return now.astimezone(self.tz)

    def check_run_date(self, run_date: date, now: datetime) -> None:
        """Raise RuleError unless `run_date` has an edition and its cut-off is still ahead."""
        if run_date in self.holidays:
            name = self.holidays[run_date]
            raise RuleError(
                msg(
                    "run_date.holiday",
                    "{date}{name}休刊，不出报",
                    "{iso}{name_en} is a holiday: no edition",
                    date=format_date_zh(run_date),
                    iso=run_date.isoformat(),
                    name=f"（{name}）" if name else "",
                    name_en=f" ({name})" if name else "",
                )
            )
        if run_date.isoweekday() not in self.publishing_weekdays:
            raise RuleError(
                msg(
                    "run_date.not_publishing_day",
                    "{date}是{weekday}，本报不出版",
                    "{iso} is a {weekday_en}: the paper does not appear",
                    date=format_date_zh(run_date),
                    iso=run_date.isoformat(),
                    weekday=WEEKDAYS_ZH[run_date.weekday()],
                    weekday_en=WEEKDAYS_EN[run_date.weekday()],
                )
            )
        cutoff = self.cutoff_for(run_date)
        if self._local(now) >= cutoff:
            raise RuleError(
                msg(
                    "run_date.past_cutoff",
                    "{date}的版面已过截稿时间（{cutoff}）",
                    "The cut-off for {iso} has passed ({cutoff_en})",
                    date=format_date_zh(run_date),
                    iso=run_date.isoformat(),
                    cutoff=_cutoff_label_zh(cutoff),
                    cutoff_en=_cutoff_label_en(cutoff),
                )
            )

    def check_run_dates(self, dates: Sequence[date], now: datetime, *, for_submission: bool = True) -> None:
        """Validate a notice's run dates; drafts (`for_submission=False`) may have none."""
        if for_submission and not dates:
            raise RuleError(
                msg("run_dates.required", "请至少选择一个刊登日期", "Choose at least one run date")
            )
        seen: set[date] = set()
        for d in dates:
            if d in seen:
                raise RuleError(
                    msg(
                        "run_dates.duplicate",
                        "刊登日期{date}重复",
                        "Run date {iso} is listed twice",
                        date=format_date_zh(d),
                        iso=d.isoformat(),
                    )
                )
            seen.add(d)
        if len(dates) > self.max_run_dates:
            raise RuleError(
                msg(
                    "run_dates.too_many",
                    "刊登日期最多{max}个",
                    "At most {max} run dates",
                    max=self.max_run_dates,
                )
            )
        for d in sorted(dates):
            self.check_run_date(d, now)

    def publishing_dates(self, start: date, count: int) -> list[date]:
        """The first `count` publishing days on or after `start`."""
        out: list[date] = []
        d = start
        misses = 0
        while len(out) < count:
            if self.is_publishing_day(d):
                out.append(d)
                misses = 0
            else:
                misses += 1
                if misses > _MAX_LOOKBACK_DAYS:
                    raise ValueError("calendar has no publishing day")
            d += timedelta(days=1)
        return out

    def publishing_dates_between(self, first: date, last: date) -> list[date]:
        """Publishing days from `first` to `last`, both included."""
        days = (last - first).days + 1
        return [
            first + timedelta(days=i)
            for i in range(days)
            if self.is_publishing_day(first + timedelta(days=i))
        ]

    def first_open_date(self, now: datetime) -> date:
        """The earliest publishing day whose cut-off is still ahead of `now`."""
        d = self._local(now).date()
        for _ in range(_MAX_LOOKBACK_DAYS):
            if self.is_publishing_day(d) and self._local(now) < self.cutoff_for(d):
                return d
            d += timedelta(days=1)
        raise ValueError("calendar has no open publishing day")


def deemed_served(last_run: date) -> date:
    """Date a notice served by publication counts as served: last publication + 30 days."""
    return last_run + timedelta(days=DEEMED_SERVICE_DAYS)
