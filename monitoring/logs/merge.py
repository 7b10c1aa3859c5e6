"""Merging containers' logs by time, newest first, parsing only the lines the answer needs.

Each container's log comes back in time order. A heap merge walks every container's lines from the newest down
(`heapq.merge(..., reverse=True)`), reading a line's timestamp only when the heap needs it, and parses a line's
level, source and message only when it is looked at; it stops once a page is full (one more match tells whether
the page bound cut the result). So the first screen of 8 pods x 5,000 lines parses about a page of lines, not
40,000. Where a window starts (the cursor, a moment) is found by bisection on the timestamps.

A line no format explains (a traceback's continuation) takes the level and source of the nearest line before it
in the same container that has one (looked up at most CONTEXT lines back).
"""

import heapq
from bisect import bisect_left
from dataclasses import dataclass, field

from monitoring.logs.parsing import RANK, parse_content, timestamp_nanos

CONTEXT = 200  # lines looked back for the level of a continuation line


@dataclass
class Merged:
    lines: list  # LogLine, oldest first
    cut: bool  # more lines matched than the page holds
    newest: int  # the newest timestamp read (ns), 0 if none
    at_newest: dict[str, int] = field(default_factory=dict)  # per container, lines read at exactly `newest`


class Lines:
    """One container's raw lines (`<timestamp> <content>`), their times and meaning worked out on demand."""

    __slots__ = ("key", "raw", "_nanos", "_state")

    def __init__(self, key: str, raw: list[str]):
        self.key, self.raw = key, raw
        self._nanos: dict[int, int] = {}
        self._state: dict[int, tuple] = {}  # index -> (level, source, message)

    def __len__(self) -> int:
        return len(self.raw)

    def nanos(self, index: int) -> int:
        cached = self._nanos.get(index)
        if cached is not None:
            return cached
        line = self.raw[index]
        value = timestamp_nanos(line[: line.find(" ")]) if " " in line else None
        if value is None:  # no timestamp: keep the order, at the time of the line before
            value = self.nanos(index - 1) if index > 0 else 0
        self._nanos[index] = value
        return value

    def content(self, index: int) -> str:
        line = self.raw[index]
        stamp, _, rest = line.partition(" ")
        return rest if timestamp_nanos(stamp) is not None else line

    def meaning(self, index: int) -> tuple:
        """(level, source, message) of a line, a continuation taking the level and source of the line before."""
        state = self._state.get(index)
        if state is not None:
            return state
        parsed = parse_content(self.content(index))
        if parsed is not None and parsed.level is not None:
            state = (parsed.level, parsed.source, parsed.message)
        else:
            level, source = self._context(index)
            if parsed is not None:
                state = (level, parsed.source or source, parsed.message)
            else:
                state = (level, source, self.content(index))
        self._state[index] = state
        return state

    def _context(self, index: int) -> tuple:
        for before in range(index - 1, max(index - 1 - CONTEXT, -1), -1):
            state = self._state.get(before)
            if state is None:
                parsed = parse_content(self.content(before))
                if parsed is None or parsed.level is None:
                    continue
                state = (parsed.level, parsed.source, parsed.message)
                self._state[before] = state
            if state[0] is not None:
                return state[0], state[1]
        return None, ""

    def first_from(self, floor: int) -> int:
        """The index of the first line at or after `floor` (ns)."""
        return bisect_left(range(len(self.raw)), floor, key=self.nanos)


def merge_newest(
    streams: list[tuple[Lines, object]],
    *,
    floor: int,
    cursor_nanos: int | None,
    seen: dict[str, int],
    until: int | None,
    level: str | None,
    search: str,
    max_lines: int,
    make_line,
) -> Merged:
    """The newest `max_lines` lines matching the filters across `streams` ((Lines, tag) pairs), oldest first.

    `floor`: nothing older (ns); `cursor_nanos`/`seen`: lines at exactly the cursor's time already given, per
    container; `make_line(tag, nanos, level, source, message)` builds each line of the answer."""
    min_rank = RANK[level] if level else 0
    needle = search.lower()
    newest = cursor_nanos or 0
    at_newest = dict(seen) if cursor_nanos else {}
    iterators = []
    for number, (lines, _tag) in enumerate(streams):
        if not len(lines):
            continue
        start = lines.first_from(floor) if floor else 0
        skip = seen.get(lines.key, 0) if cursor_nanos is not None else 0
        while skip and start < len(lines) and lines.nanos(start) == cursor_nanos:
            start, skip = start + 1, skip - 1
        last = lines.nanos(len(lines) - 1)
        if last > newest:
            newest, at_newest = last, {}
        if last == newest:
            count, index = 0, len(lines) - 1
            while index >= 0 and lines.nanos(index) == newest:
                count, index = count + 1, index - 1
            at_newest[lines.key] = count
        iterators.append(_backwards(lines, number, start))

    found = []
    for nanos, number, index in heapq.merge(*iterators, reverse=True):
        if until is not None and nanos > until:
            continue
        lines, tag = streams[number]
        line_level, source, message = lines.meaning(index)
        if min_rank and RANK.get(line_level or "INFO", 1) < min_rank:
            continue
        if needle and needle not in message.lower() and needle not in source.lower():
            continue
        found.append(make_line(tag, nanos, line_level, source, message))
        if len(found) > max_lines:
            break
    cut = len(found) > max_lines
    found = found[:max_lines]
    found.reverse()
    return Merged(found, cut, newest, at_newest)


def _backwards(lines: Lines, number: int, start: int):
    for index in range(len(lines) - 1, start - 1, -1):
        yield lines.nanos(index), number, index
