"""Durations as the spec writes them (`90s`, `1h30m`, 45) and as targets print them."""

import re

_PART = re.compile(r"([0-9]+)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(value) -> int:
    """Whole seconds in a spec duration; milliseconds round up (`500ms` -> 1)."""
    if isinstance(value, int):
        return value
    total = sum(int(number) * _UNIT_SECONDS[unit] for number, unit in _PART.findall(value))
    whole = int(total)
    return whole + 1 if total > whole else whole


def go_duration(total: int) -> str:
    """`90` -> `1m30s`; `0` -> `0s`. The form Kubernetes controllers, Istio and Prometheus accept."""
    if total == 0:
        return "0s"
    text = ""
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        count, total = divmod(total, size)
        if count:
            text += f"{count}{unit}"
    return text


def prometheus_duration(total: int) -> str:
    """Like go_duration but with days, which PromQL range selectors accept (`30d`)."""
    if total and total % 86400 == 0:
        return f"{total // 86400}d"
    return go_duration(total)


def human(total: int) -> str:
    """`90` -> `1 min 30 s`, for documents people read."""
    if total == 0:
        return "0 s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts)
