"""Schedules: cron lines as they are, Chronos' ISO 8601 repeating intervals (``R/2024-01-01T02:00:00Z/P1D``) as
the cron expression that fires at the same times, or a note where cron cannot say the same thing."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ISO = re.compile(r"^R(\d*)/([^/]*)/(P.+)$")
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_START = re.compile(r"^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?)?(Z|[+-]\d\d:?\d\d)?$")
_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
           "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


@dataclass
class Schedule:
    cron: str | None  # 5-field cron, None when the job has no schedule of its own
    timezone: str = "UTC"
    note: str | None = None  # what a reviewer must know (approximation, finite repeats...)
    failure: str | None = None  # cannot be expressed


def from_cron(expr: str | None) -> Schedule:
    if not expr:
        return Schedule(None)
    expr = expr.strip()
    if expr == "@reboot":
        return Schedule(None, failure="@reboot has no Kubernetes or Prefect schedule: run it as a Deployment")
    if expr in _MACROS:
        return Schedule(_MACROS[expr])
    fields = expr.split()
    if len(fields) == 6:  # Aurora / Quartz-style seconds field first
        return Schedule(" ".join(fields[1:]), note="the seconds field was dropped (cron has minutes)")
    if len(fields) != 5:
        return Schedule(None, failure=f"not a cron expression: {expr!r}")
    return Schedule(expr)


def _tz(offset: str | None) -> tuple[str, str | None]:
    if not offset or offset == "Z":
        return "UTC", None
    sign, hh, mm = offset[0], offset[1:3], offset[-2:]
    if mm != "00":
        return "UTC", f"offset {offset} has minutes: the schedule is kept in UTC"
    # Etc/GMT zones have inverted signs: UTC+08:00 is Etc/GMT-8
    return f"Etc/GMT{'-' if sign == '+' else '+'}{int(hh)}", None


def from_iso8601(expr: str | None) -> Schedule:
    """Chronos ``R[n]/start/period`` -> cron. Periods cron can say exactly: n minutes (n divides 60), n hours
    (n divides 24), 1 day, 1 week, 1 month, 1 year."""
    if not expr:
        return Schedule(None)
    m = _ISO.match(expr.strip())
    if not m:
        return Schedule(None, failure=f"not an ISO 8601 repeating interval: {expr!r}")
    repeats, start, period = m.groups()
    d = _DURATION.match(period)
    s = _START.match(start) if start else None
    if d is None or not any(d.groups()):
        return Schedule(None, failure=f"unreadable period {period!r} in {expr!r}")
    if start and s is None:
        return Schedule(None, failure=f"unreadable start {start!r} in {expr!r}")
    years, months, weeks, days, hours, minutes, seconds = (float(x) if x else 0.0 for x in d.groups())
    minute, hour = (int(s.group(5) or 0), int(s.group(4) or 0)) if s else (0, 0)
    dom = int(s.group(3)) if s else 1
    month = int(s.group(2)) if s else 1
    tz, tz_note = _tz(s.group(7) if s else None)
    notes = [n for n in (tz_note,) if n]
    if repeats not in ("", None) and repeats != "":
        notes.append(f"Chronos ran it {repeats} time(s) only; cron repeats until the job is removed")
    if seconds:
        notes.append("seconds in the period are dropped")
    parts = [(years, "Y"), (months, "M"), (weeks, "W"), (days, "D"), (hours, "H"), (minutes, "m")]
    nonzero = [(v, u) for v, u in parts if v]
    if len(nonzero) != 1:
        total_min = ((weeks * 7 + days) * 24 + hours) * 60 + minutes
        if not (years or months) and total_min and 60 % total_min == 0:
            nonzero = [(total_min, "m")]
        elif not (years or months) and total_min and total_min % 60 == 0 and 24 % (total_min // 60) == 0:
            nonzero = [(total_min // 60, "H")]
        else:
            return Schedule(None, failure=f"period {period} has no cron equivalent: schedule it by hand")
    value, unit = nonzero[0]
    n = int(value)
    cron: str | None = None
    if unit == "m" and 60 % n == 0:
        cron = f"{minute % n}-59/{n} * * * *" if n > 1 and minute % n else (f"*/{n} * * * *" if n > 1 else "* * * * *")
    elif unit == "H" and 24 % n == 0:
        cron = f"{minute} */{n} * * *" if n > 1 else f"{minute} * * * *"
        if n > 1 and hour % n:
            cron = f"{minute} {hour % n}-23/{n} * * *"
    elif unit == "D" and n == 1:
        cron = f"{minute} {hour} * * *"
    elif unit == "W" and n == 1:
        import datetime

        dow = datetime.date(int(s.group(1)), month, dom).isoweekday() % 7 if s else 0
        cron = f"{minute} {hour} * * {dow}"
    elif unit == "M" and n == 1:
        cron = f"{minute} {hour} {dom} * *"
    elif unit == "Y" and n == 1:
        cron = f"{minute} {hour} {dom} {month} *"
    elif unit == "D":
        cron = f"{minute} {hour} */{n} * *"
        notes.append(f"every {n} days becomes days of the month divisible by {n} (restarts each month)")
    if cron is None:
        return Schedule(None, failure=f"period {period} has no cron equivalent: schedule it by hand")
    return Schedule(cron, tz, note="; ".join(notes) or None)
