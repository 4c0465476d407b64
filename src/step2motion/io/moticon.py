"""Read and write Moticon OpenGo text exports (``.txt``), both header variants.

File layout (UTF-8, tab separated, verified on real exports):

* Header lines start with ``#``. Newer exports have ``# Key: value`` lines (``Start time``, ``Duration``,
  ``Sensor insoles``, ``Size``, ``Recording type``, ``Name``, ``Notes``, ``Tag``, sometimes
  ``Start timestamp``). Older exports (the format UnderPressure's ``parsing.py::MoticonTXT`` reads) have a
  single ``# Measurement Www, DD Mon YYYY - HH:MM:SS.fff (MM:SS.fff) ... size <n>, ...`` line instead.
* The last header line names the columns, ``quantity[unit]``, one of them ``time`` (s). Data rows follow;
  an empty field is a missing sample (left and right share one time axis, so one side can be empty).

Reading finds every column by name (case-insensitive quantity, exact unit), so order does not matter.
The 25 per-foot schema channels fill :class:`FootSignals`; schema channels the file lacks are ``NaN`` and
listed in ``missing_channels``. Any other column goes to ``extra_columns`` under its title as found:
numeric columns (step events, event values, CoP velocity, ...) as float ``[T]`` arrays with ``NaN`` for
empty fields; event *label* columns (the exporter's ``<group> label[]`` convention) as object ``[T]``
arrays of ``str`` with ``""`` where there is no label, because their fields are text.

What the file says is checked before anything uses it, each problem an :class:`InputError` naming the
line: at least two rows; times in seconds, strictly increasing, whose median step is an OpenGo rate
(10, 25, 50 or 100 Hz; a time column in milliseconds would otherwise read as 0.1 Hz and a recording as
a thousand times its length); every value finite and every schema channel within what the device can
record (:data:`DEVICE_RANGES`). Rows missing from the time axis are kept as a gap, never closed up
(:meth:`InsoleRecording.time_gaps`).

The file is read :data:`PARSE_CHUNK_ROWS` data rows at a time (:func:`iter_moticon`, which a streaming
command iterates; :func:`read_moticon` joins its chunks), so its text is never held whole, and so are
those checks made: times must increase across chunk boundaries too, the median step is judged on the
first chunk (200 s at 100 Hz; the whole file when shorter), and a file with problems in several chunks
is refused for the first one of the earliest such chunk.

An old-variant header is kept under ``metadata["Measurement"]`` and also translated into the newer keys
``Start time`` (as ``DD.MM.YYYY HH:MM:SS.fff``), ``Duration`` and ``Size``, so writing produces a newer
header. Free-form ``#`` lines that are neither ``Key: value`` nor ``Measurement ...`` are ignored.

Why not ``moticon_opengo.txt_export.Measurement`` (the vendor reader; the tests use it as an oracle):
it cannot write; it rejects old headers; it assigns channels by column position, so shuffled or
one-sided files are misread or crash; its errors are generic exceptions without a line number; and
it parses with ``np.genfromtxt`` (about 3 s for a 10-minute 100 Hz file). Here the numbers go through
``np.loadtxt``'s C parser (< 1 s for the same file), a chunk of rows at a time after empty fields become
``nan``; only when that fails is the chunk re-read cell by cell, to name the offending line.

Writing prints each value the way a real export does (pressure and force with 2 decimals, IMU and CoP
with 6) when that text reads back to the identical float, and otherwise its shortest round-trip repr, so
write → read is exact.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from step2motion.errors import InputError
from step2motion.insole_layout import VALID_SIZES, cell_areas_cm2
from step2motion.io.atomic_file import atomic_path
from step2motion.recording import (
    FOOT_FIELDS,
    OPENGO_RATES_HZ,
    RATE_TOLERANCE,
    SIDES,
    FootSignals,
    InsoleRecording,
    median_step_s,
    opengo_rate,
)

#: Step-event codes in the ``left steps[]`` / ``right steps[]`` columns: code → (side, event).
STEP_EVENT_CODES: dict[int, tuple[str, str]] = {
    11: ("left", "heel_strike"),
    15: ("left", "toe_off"),
    21: ("right", "heel_strike"),
    25: ("right", "toe_off"),
}

#: Header keys of a newer export, in the order the exporter writes them.
STANDARD_HEADER_KEYS: tuple[str, ...] = (
    "Start time",
    "Duration",
    "Sensor insoles",
    "Size",
    "Recording type",
    "Name",
    "Notes",
    "Tag",
)

_TIME_DECIMALS = 2
_EXTRA_DECIMALS = 2  # step-event codes are printed as "11.00"
_START_TIME_NEW = "%d.%m.%Y %H:%M:%S.%f"
_START_TIME_OLD = "%a, %d %b %Y - %H:%M:%S.%f"
_OLD_HEADER = re.compile(r"Measurement (?P<start>[^()]+?) \((?P<duration>\d+:\d\d(?:\.\d+)?)\)(?P<rest>.*)")
_OLD_HEADER_SHAPE = "'# Measurement Www, DD Mon YYYY - HH:MM:SS.fff (MM:SS.fff) ... size <n>, ...'"
_TITLE = re.compile(r"(?P<quantity>[^\[\]]*)\[(?P<unit>[^\[\]]*)\]")
_PRESSURE_MAX_NCM2 = 50.0  # the cells' range; the simulator's sensor model saturates there too
#: What an OpenGo insole can record, per :class:`FootSignals` field: (low, high) in the field's unit.
#: Pressure and force are never negative; the IMU saturates at its int16 range (acc 1/2048 g, gyro
#: 0.07 deg/s per count); the CoP lies on the insole. A value outside is a damaged file, not a reading.
DEVICE_RANGES: dict[str, tuple[float, float]] = {
    "pressure_ncm2": (0.0, _PRESSURE_MAX_NCM2),
    "acc_g": (-16.0, 16.0),
    "gyro_dps": (-2294.0, 2294.0),
    "total_force_n": (0.0, _PRESSURE_MAX_NCM2 * max(float(cell_areas_cm2(s).sum()) for s in VALID_SIZES)),
    "cop_norm": (-0.5, 0.5),
}


@dataclass(frozen=True)
class _Channel:
    """One per-foot schema column and where it lives in :class:`FootSignals`."""

    side: str
    quantity: str  # e.g. "left pressure 3"
    unit: str
    field: str  # FootSignals attribute
    component: int | None  # column in a 2-D field; None for the 1-D total force
    decimals: int  # decimals a real export prints

    @property
    def title(self) -> str:
        return f"{self.quantity}[{self.unit}]"

    def values(self, rec: InsoleRecording) -> np.ndarray:
        """``[T]`` this channel's samples in ``rec``."""
        data = getattr(rec.foot(self.side), self.field)
        return data if self.component is None else data[:, self.component]


def _build_schema() -> tuple[_Channel, ...]:
    groups = (
        ("pressure_ncm2", "pressure", [str(i) for i in range(1, 17)], "N/cm²", 2),
        ("acc_g", "acceleration", ["X", "Y", "Z"], "g", 6),
        ("gyro_dps", "angular", ["X", "Y", "Z"], "dps", 6),
        ("total_force_n", "total force", [None], "N", 2),
        ("cop_norm", "center of pressure", ["X", "Y"], "-0.5...+0.5", 6),
    )
    return tuple(
        _Channel(side, f"{side} {name}" + (f" {axis}" if axis else ""), unit, field, k if axis else None, dec)
        for side in SIDES
        for field, name, axes, unit, dec in groups
        for k, axis in enumerate(axes)
    )


#: The 50 per-foot channels (25 left, then 25 right) in the exporter's column order.
SCHEMA: tuple[_Channel, ...] = _build_schema()


def _normalise(quantity: str) -> str:
    return " ".join(quantity.split()).lower()


_SCHEMA_BY_QUANTITY: dict[str, _Channel] = {_normalise(ch.quantity): ch for ch in SCHEMA}


def _split_title(title: str) -> tuple[str, str | None]:
    """``"left pressure 1[N/cm²]"`` → ``("left pressure 1", "N/cm²")``; no brackets → unit ``None``."""
    match = _TITLE.fullmatch(title)
    return (match["quantity"], match["unit"]) if match else (title, None)


def _is_label_column(title: str) -> bool:
    """Event label columns hold text; the exporter names them ``<group> label[]``."""
    return _normalise(_split_title(title)[0]).endswith(" label")


# ----------------------------------------------------------------------------------------------- reading


@dataclass
class _Columns:
    """Where things are in the column header: indices into a data row."""

    titles: list[str]
    time: int
    schema: dict[_Channel, int]
    extras: list[int]
    labels: set[int]


#: Data rows per chunk (:func:`iter_moticon`'s default; :func:`read_moticon` reads this many at a time): the
#: text of one chunk is all that is held, and copied while empty fields become ``nan``, however long the file.
PARSE_CHUNK_ROWS = 20_000


def read_moticon(path: str | Path) -> InsoleRecording:
    """Read an OpenGo text export (either header variant) into an :class:`InsoleRecording`: the chunks of
    :func:`iter_moticon` joined, so checked as it checks them.

    Raises :class:`InputError` naming the line for anything wrong with the file.
    """
    stream = iter_moticon(path)
    parts: dict[tuple[str, str], list[np.ndarray]] = {}  # ("time" | side | "extra", name): chunk by chunk
    for chunk in stream:  # each chunk's text is freed once parsed: only the numbers are kept
        for key, array in _chunk_arrays(chunk).items():
            parts.setdefault(key, []).append(array)
    # one array at a time, its chunks freed once joined: the numbers are held once (and one array), not twice
    joined = {key: np.concatenate(parts.pop(key)) for key in list(parts)}
    return InsoleRecording(
        time_s=joined["time", "time_s"],
        left=FootSignals(**{name: joined["left", name] for name in FOOT_FIELDS}),
        right=FootSignals(**{name: joined["right", name] for name in FOOT_FIELDS}),
        insole_size=stream.insole_size,
        metadata=stream.metadata,
        extra_columns={name: array for (group, name), array in joined.items() if group == "extra"},
        missing_channels=stream.missing_channels,
        source=stream.source,
    )


def _chunk_arrays(chunk: InsoleRecording) -> dict[tuple[str, str], np.ndarray]:
    """A chunk's arrays by (``"time"``, a side or ``"extra"``; name), time first and extras in order."""
    arrays = {("time", "time_s"): chunk.time_s}
    arrays.update({(side, name): getattr(chunk.foot(side), name) for side in SIDES for name in FOOT_FIELDS})
    arrays.update({("extra", title): values for title, values in chunk.extra_columns.items()})
    return arrays


def iter_moticon(path: str | Path, chunk_rows: int = PARSE_CHUNK_ROWS) -> MoticonStream:
    """Read an OpenGo text export chunk by chunk, in memory that does not grow with the file.

    This call reads the header (its fields are the stream's attributes; a problem in it raises here) and
    the first chunk's text. Iterating the stream (once) yields :class:`InsoleRecording` chunks of at most
    ``chunk_rows`` data rows, times in the file's own seconds, each with the header's fields and its rows'
    ``extra_columns``. Everything :func:`read_moticon` checks is checked, each chunk before it is yielded,
    so a problem raises :class:`InputError` (naming the line) when its chunk is reached, after the chunks
    before it. Times must increase across chunks too; the rate (the median time step) is judged on the
    first chunk alone, the whole file when shorter, hence ``chunk_rows`` >= 2 (else ``ValueError``).
    """
    return MoticonStream(path, chunk_rows)


class MoticonStream:
    """An OpenGo export being read chunk by chunk (:func:`iter_moticon`): the header's ``insole_size``,
    ``metadata``, ``missing_channels`` and ``source``, as each chunk has them; iterated, the chunks."""

    def __init__(self, path: str | Path, chunk_rows: int) -> None:
        if chunk_rows < 2:
            raise ValueError(
                f"chunk_rows must be at least 2 (the rate comes from time steps), got {chunk_rows}"
            )
        header, self._lines = _split_header(_numbered_lines(path))
        # The first chunk is read before the header is judged: a bad byte in it is named first, as when the
        # whole file was decoded before anything else.
        self._head: tuple[list[str], np.ndarray] | None = _take_rows(self._lines, chunk_rows)
        rows, line_numbers = self._head
        if not header:
            if not rows:
                raise InputError(
                    "empty file: expected '#' header lines, a '# time<TAB>...' column header and data rows",
                    path,
                    1,
                )
            raise InputError(
                "no column header: expected '#' lines ending with '# time<TAB>...' before the data",
                path,
                int(line_numbers[0]),
            )
        self.metadata, self.insole_size = _parse_metadata(header[:-1], path)
        header_line, header_text = header[-1]
        self._columns = _parse_column_header(header_text, path, header_line)
        if not rows:
            raise InputError(
                "no data rows: expected tab-separated samples after the column header", path, header_line
            )
        self.missing_channels = tuple(ch.title for ch in SCHEMA if ch not in self._columns.schema)
        self.source = str(path)
        self._chunk_rows = chunk_rows

    def __iter__(self) -> Iterator[InsoleRecording]:
        if self._head is None:
            raise RuntimeError("a MoticonStream is read once: call iter_moticon again to read the file again")
        (rows, line_numbers), self._head = self._head, None
        previous_s: float | None = None
        while rows:
            chunk = self._chunk(rows, line_numbers, previous_s)
            previous_s = chunk.time_s[-1]
            del rows, line_numbers  # parsed: one chunk's text is held at a time, never two
            yield chunk
            del chunk  # nor the numbers handed out, while the next chunk is read
            rows, line_numbers = _take_rows(self._lines, self._chunk_rows)

    def _chunk(self, rows: list[str], line_numbers: np.ndarray, previous_s: float | None) -> InsoleRecording:
        """One chunk's rows as a recording, checked; ``previous_s``: the time before them (None: none)."""
        columns, path = self._columns, self.source
        _check_field_counts(rows, line_numbers, len(columns.titles), path)
        numeric = [j for j in range(len(columns.titles)) if j not in columns.labels]
        values = _parse_numbers(rows, line_numbers, numeric, columns.titles, path)
        position = {j: k for k, j in enumerate(numeric)}
        extra_columns = {
            columns.titles[j]: _label_column(rows, j)
            if j in columns.labels
            else values[:, position[j]].copy()
            for j in columns.extras
        }
        time_s = values[:, position[columns.time]].copy()
        _check_time(time_s, line_numbers, path, previous_s)
        _check_values(values, numeric, columns, line_numbers, path)
        return InsoleRecording(
            time_s=time_s,
            left=_foot_signals("left", columns, values, position),
            right=_foot_signals("right", columns, values, position),
            insole_size=self.insole_size,
            metadata=dict(self.metadata),
            extra_columns=extra_columns,
            missing_channels=self.missing_channels,
            source=self.source,
        )


def _numbered_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of the file's lines, newline-free, each decoded as UTF-8 as it is read (a BOM
    at the start is tolerated), so the file is never held whole."""
    try:
        with open(path, "rb") as file:
            for number, raw in enumerate(file, 1):
                line = raw.removeprefix(codecs.BOM_UTF8) if number == 1 else raw
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as err:
                    raise InputError(
                        f"not UTF-8 text (byte 0x{line[err.start]:02x}): expected a UTF-8 OpenGo export",
                        path,
                        number,
                    ) from None
                yield number, text.removesuffix("\n").removesuffix("\r")
    except OSError as err:
        raise InputError(f"cannot read the file: {err.strerror}", path) from None


def _split_header(
    lines: Iterator[tuple[int, str]],
) -> tuple[list[tuple[int, str]], Iterator[tuple[int, str]]]:
    """``(line number, text after '#')`` of the header lines (the ``#`` lines before the first data line),
    and the lines from the first data line on."""
    header: list[tuple[int, str]] = []
    for number, text in lines:
        if text.startswith("#"):
            header.append((number, text[1:].strip(" ")))
        elif text.strip():
            return header, itertools.chain([(number, text)], lines)
    return header, lines


def _take_rows(lines: Iterator[tuple[int, str]], n_rows: int) -> tuple[list[str], np.ndarray]:
    """The next ``n_rows`` data rows (the non-empty lines; fewer at the end) and their line numbers."""
    rows: list[str] = []
    numbers: list[int] = []
    for number, text in lines:
        if text:
            rows.append(text)
            numbers.append(number)
            if len(rows) == n_rows:
                break
    return rows, np.array(numbers, dtype=np.int64)


def _parse_metadata(header: list[tuple[int, str]], path: str | Path) -> tuple[dict[str, str], int | None]:
    """Header fields (old variant translated as well) and the insole size."""
    metadata: dict[str, str] = {}
    size_line: int | None = None
    for line_no, text in header:
        fields = _header_line_fields(text, path, line_no)
        metadata.update(fields)
        if "Size" in fields:
            size_line = line_no
    return metadata, _insole_size(metadata.get("Size"), path, size_line)


def _header_line_fields(text: str, path: str | Path, line_no: int) -> dict[str, str]:
    """Fields of one metadata line: ``Key: value``, an old ``Measurement ...`` line, or none."""
    if text.startswith("Measurement "):
        return _parse_old_header(text, path, line_no)
    if ":" in text:
        key, value = text.split(":", 1)
        return {key.strip(): value.strip()}
    return {}


def _parse_old_header(text: str, path: str | Path, line_no: int) -> dict[str, str]:
    """``Measurement <start> (<duration>) ... size <n>, ...`` → newer-variant fields (+ the line itself)."""
    match = _OLD_HEADER.fullmatch(text)
    if match is None:
        raise InputError(f"unreadable old-style header: expected {_OLD_HEADER_SHAPE}", path, line_no)
    try:
        start = datetime.strptime(match["start"], _START_TIME_OLD)
    except ValueError:
        raise InputError(
            f"old-style header start {match['start']!r}: expected 'Www, DD Mon YYYY - HH:MM:SS.fff'",
            path,
            line_no,
        ) from None
    fields = {
        "Measurement": text.removeprefix("Measurement "),
        "Start time": start.strftime(_START_TIME_NEW)[:-3],  # milliseconds, as newer exports print them
        "Duration": match["duration"],
    }
    size = re.search(r"\bsize\s+(\d+)", match["rest"], re.IGNORECASE)
    if size:
        fields["Size"] = size[1]
    return fields


def _insole_size(text: str | None, path: str | Path, line_no: int | None) -> int | None:
    if text is None:
        return None
    # ASCII digits only: str.isdigit() also passes '²', and int() refuses over 4300 digits
    if re.fullmatch(r"[0-9]{1,4}", text) is None or int(text) not in VALID_SIZES:
        raise InputError(
            f"insole size {text!r}: expected an integer OpenGo size {VALID_SIZES[0]}..{VALID_SIZES[-1]}",
            path,
            line_no,
        )
    return int(text)


def _parse_column_header(text: str, path: str | Path, line_no: int) -> _Columns:
    """Locate ``time``, the schema channels and the extras among the column titles."""
    titles = [title.strip() for title in text.split("\t")]
    quantities = [_normalise(_split_title(title)[0]) for title in titles]
    if "time" not in quantities:
        if "\t" not in text:
            raise InputError(
                f"no column header: expected the last '#' line to name tab-separated columns "
                f"'time<TAB>left pressure 1[N/cm²]<TAB>...', got {text[:60]!r}",
                path,
                line_no,
            )
        raise InputError("no 'time' column: expected one column titled 'time' (seconds)", path, line_no)
    seen: dict[str, int] = {}
    for j, (title, quantity) in enumerate(zip(titles, quantities, strict=True)):
        key = quantity if quantity in _SCHEMA_BY_QUANTITY or quantity == "time" else title
        if key in seen:
            raise InputError(
                f"duplicate column {title!r} (columns {seen[key] + 1} and {j + 1}): expected unique names",
                path,
                line_no,
            )
        seen[key] = j
    time = seen["time"]
    time_unit = _split_title(titles[time])[1]
    if time_unit not in (None, "s"):
        raise InputError(f"'time' column in [{time_unit}]: expected seconds", path, line_no)
    schema = {_SCHEMA_BY_QUANTITY[q]: j for j, q in enumerate(quantities) if q in _SCHEMA_BY_QUANTITY}
    for channel, j in schema.items():
        if _split_title(titles[j])[1] != channel.unit:
            raise InputError(f"column {titles[j]!r}: expected the unit [{channel.unit}]", path, line_no)
    extras = [j for j in range(len(titles)) if j != time and j not in schema.values()]
    labels = {j for j in extras if _is_label_column(titles[j])}
    return _Columns(titles, time, schema, extras, labels)


def _check_field_counts(rows: list[str], line_numbers: np.ndarray, n_columns: int, path: str | Path) -> None:
    tabs = np.fromiter((row.count("\t") for row in rows), dtype=np.int64, count=len(rows))
    bad = np.flatnonzero(tabs != n_columns - 1)
    if bad.size:
        raise InputError(
            f"{tabs[bad[0]] + 1} tab-separated fields: expected {n_columns}, one per column "
            "(an empty field marks a missing sample)",
            path,
            int(line_numbers[bad[0]]),
        )


def _parse_numbers(
    rows: list[str], line_numbers: np.ndarray, columns: list[int], titles: list[str], path: str | Path
) -> np.ndarray:
    """``[T, len(columns)]`` floats (``NaN`` for empty fields) of one chunk's rows; fast C parse, cell by
    cell only to report the offending line."""
    try:
        return np.loadtxt(_fill_empty_fields(rows), delimiter="\t", usecols=columns, comments=None, ndmin=2)
    except ValueError:
        return _parse_numbers_by_cell(rows, line_numbers, columns, titles, path)


def _fill_empty_fields(rows: list[str]) -> list[str]:
    """``rows`` with ``nan`` in every empty field, so ``np.loadtxt`` accepts them."""
    body = "\n{}\n".format("\n".join(rows)).replace("\t\t", "\tnan\t").replace("\t\t", "\tnan\t")  # 3+
    return body.replace("\n\t", "\nnan\t").replace("\t\n", "\tnan\n")[1:-1].split("\n")


def _parse_numbers_by_cell(
    rows: list[str], line_numbers: np.ndarray, columns: list[int], titles: list[str], path: str | Path
) -> np.ndarray:
    values = np.empty((len(rows), len(columns)))
    for i, row in enumerate(rows):
        fields = row.split("\t")
        for k, j in enumerate(columns):
            try:
                values[i, k] = float(fields[j]) if fields[j] else np.nan
            except ValueError:
                raise InputError(
                    f"column {titles[j]!r}: expected a number or an empty field (missing sample), "
                    f"got {fields[j][:40]!r}",
                    path,
                    int(line_numbers[i]),
                ) from None
    return values


def _check_time(
    time_s: np.ndarray, line_numbers: np.ndarray, path: str | Path, previous_s: float | None
) -> None:
    """Times in seconds, strictly increasing (also from ``previous_s``, the chunk before's last; None for
    the first chunk), at a rate OpenGo records, judged on the first chunk: the time stamps are what the
    recording's duration and every frame time come from, so a wrong unit must not pass."""
    if previous_s is None and time_s.size < 2:  # chunks hold >= 2 rows: a first of one is the whole file
        raise InputError(
            "only one data row: expected at least two samples (the rate comes from the time steps)",
            path,
            int(line_numbers[0]),
        )
    bad = np.flatnonzero(~np.isfinite(time_s))
    if bad.size:
        raise InputError(
            "empty or non-finite time: expected every row to have a time in seconds",
            path,
            int(line_numbers[bad[0]]),
        )
    # each row's previous time, the chunk before's last for the first row
    before = np.concatenate([[-np.inf if previous_s is None else previous_s], time_s[:-1]])
    bad = np.flatnonzero(time_s <= before)
    if bad.size:
        i = bad[0]
        raise InputError(
            f"time {time_s[i]:g} s is not after the previous row's {before[i]:g} s: "
            "expected strictly increasing times",
            path,
            int(line_numbers[i]),
        )
    if previous_s is not None:
        return
    step = median_step_s(time_s)
    if opengo_rate(1.0 / step) is None:
        rates = ", ".join(f"{r:g}" for r in OPENGO_RATES_HZ)
        problem = (
            f"median time step {step:g} looks like milliseconds ({1000.0 / step:g} Hz): expected seconds"
            if opengo_rate(1000.0 / step) is not None
            else f"median time step {step:g} s = {1.0 / step:.3g} Hz: expected an OpenGo rate "
            f"({rates} Hz, ±{RATE_TOLERANCE:.0%})"
        )
        raise InputError(f"'time' column: {problem}", path, int(line_numbers[0]))


def _check_values(
    values: np.ndarray, numeric: list[int], columns: _Columns, line_numbers: np.ndarray, path: str | Path
) -> None:
    """Every value finite and every schema channel in its :data:`DEVICE_RANGES` (an empty field, NaN,
    is a missing sample); the first offender is named by line and column."""
    low, high = np.full(len(numeric), -np.inf), np.full(len(numeric), np.inf)
    for channel, j in columns.schema.items():
        k = numeric.index(j)
        low[k], high[k] = DEVICE_RANGES[channel.field]
    with np.errstate(invalid="ignore"):
        bad = np.isinf(values) | (values < low) | (values > high)
    if not bad.any():
        return
    i, k = np.argwhere(bad)[0]
    title, value = columns.titles[numeric[k]], values[i, k]
    expected = (
        "a finite number or an empty field (missing sample)"
        if np.isinf(value) or np.isinf(low[k])
        else f"{low[k]:g} to {high[k]:g}, what an OpenGo insole records"
    )
    raise InputError(
        f"column {numeric[k] + 1} {title!r}: value {value:g}, expected {expected}", path, int(line_numbers[i])
    )


def _foot_signals(side: str, columns: _Columns, values: np.ndarray, position: dict[int, int]) -> FootSignals:
    foot = FootSignals.missing(values.shape[0])
    for channel, j in columns.schema.items():
        if channel.side == side:
            target = getattr(foot, channel.field)
            if channel.component is None:
                target[:] = values[:, position[j]]
            else:
                target[:, channel.component] = values[:, position[j]]
    return foot


def _label_column(rows: list[str], column: int) -> np.ndarray:
    """``[T]`` object array of the text in one column (``""`` where empty)."""
    return np.array([row.split("\t")[column] for row in rows], dtype=object)


# ----------------------------------------------------------------------------------------------- writing


def write_moticon(recording: InsoleRecording, path: str | Path) -> None:
    """Write ``recording`` as an OpenGo text export with the newer header variant.

    Missing samples become empty fields, extra columns follow the schema columns, and every value reads
    back as the identical float; written atomically (:mod:`step2motion.io.atomic_file`). Raises
    ``ValueError`` for a recording that could not be read back (non-increasing time, tabs or newlines in
    text, a text column not named ``... label[...]``).
    """
    _check_writable(recording)
    columns = _output_columns(recording)
    lines = [f"# {key}: {value}".rstrip(" ") for key, value in _header_fields(recording).items()]
    lines.append("# " + "\t".join(title for title, _ in columns))
    lines += ["\t".join(fields) for fields in zip(*(texts for _, texts in columns), strict=True)]
    try:
        with atomic_path(path) as partial:
            partial.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    except OSError as err:
        raise InputError(f"cannot write the file: {err.strerror}", path) from None


def _check_writable(rec: InsoleRecording) -> None:
    if rec.n_samples == 0 or not np.isfinite(rec.time_s).all() or (np.diff(rec.time_s) <= 0).any():
        raise ValueError("time_s must be non-empty, finite and strictly increasing to be written")
    reserved = {"time"} | {_normalise(ch.quantity) for ch in SCHEMA}
    for title, values in rec.extra_columns.items():
        if _normalise(_split_title(title)[0]) in reserved or re.search(r"[\t\r\n]", title):
            raise ValueError(f"extra column {title!r}: a schema column's name, a tab or a line break")
        if values.shape != rec.time_s.shape:
            raise ValueError(f"extra column {title!r} has shape {values.shape}, expected {rec.time_s.shape}")
        if (values.dtype.kind in "OUS") != _is_label_column(title):
            raise ValueError(
                f"extra column {title!r}: text columns, and only they, are titled '<group> label[...]' "
                "(the reader tells them apart by that title)"
            )
    texts = [*rec.metadata, *rec.metadata.values()]
    texts += [v for vs in rec.extra_columns.values() if vs.dtype.kind in "OUS" for v in vs.tolist()]
    if any(re.search(r"[\t\r\n]", str(text)) for text in texts):
        raise ValueError("metadata and event labels must not contain tabs or line breaks")
    if any(":" in key for key in rec.metadata):
        raise ValueError("metadata keys must not contain ':'")


def _header_fields(rec: InsoleRecording) -> dict[str, str]:
    """Header ``Key: value`` fields: the standard keys in export order, then the other metadata."""
    fields = {key: "" for key in STANDARD_HEADER_KEYS}
    if "Start time" not in rec.metadata:  # readers parse it as a date: better absent than invented
        del fields["Start time"]
    fields.update(rec.metadata)
    if not fields["Duration"]:
        fields["Duration"] = _format_duration(rec.duration_s)
    if rec.insole_size is None:
        del fields["Size"]
    else:
        fields["Size"] = str(rec.insole_size)
    return fields


def _format_duration(duration_s: float) -> str:
    """``MM:SS.fff``, as in ``# Duration: 00:17.496``."""
    minutes, ms = divmod(round(duration_s * 1000), 60_000)
    return f"{minutes:02d}:{ms / 1000:06.3f}"


_DURATION = re.compile(r"\s*(?P<minutes>\d+):(?P<seconds>\d\d(?:\.\d+)?)\s*")


def header_duration_s(metadata: dict[str, str]) -> float | None:
    """The ``Duration`` header field (``MM:SS.fff``, minutes beyond 59 as they come) in seconds; None when
    absent or not in that form. What the export says of itself, for progress bars: the time column is
    what counts."""
    match = _DURATION.fullmatch(metadata.get("Duration", ""))
    return None if match is None else 60.0 * int(match["minutes"]) + float(match["seconds"])


def _output_columns(rec: InsoleRecording) -> list[tuple[str, list[str]]]:
    """``(title, field texts)`` per written column: time, present schema channels, extras."""
    columns = [("time", _format_numbers(rec.time_s, _TIME_DECIMALS))]
    for channel in SCHEMA:
        values = channel.values(rec)
        if channel.title not in rec.missing_channels or not np.isnan(values).all():
            columns.append((channel.title, _format_numbers(values, channel.decimals)))
    for title, values in rec.extra_columns.items():
        is_text = values.dtype.kind in "OUS"
        texts = [str(v) for v in values.tolist()] if is_text else _format_numbers(values, _EXTRA_DECIMALS)
        columns.append((title, texts))
    return columns


def _format_numbers(values: np.ndarray, decimals: int) -> list[str]:
    """Texts of ``values [T]``: fixed ``decimals`` where that reads back exactly, else the shortest
    round-trip repr; ``""`` for ``NaN``.

    ``round(v, d) == v`` holds exactly when ``v`` is the float nearest a ``d``-decimal number, and then
    ``f"{v:.{d}f}"`` prints that number, which parses back to ``v``.
    """
    values = np.asarray(values, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        fixed = (np.round(values, decimals) == values).tolist()
    fmt = f"{{:.{decimals}f}}".format
    return [
        fmt(v) if ok else ("" if v != v else repr(v)) for v, ok in zip(values.tolist(), fixed, strict=True)
    ]


# ----------------------------------------------------------------------------------------------- events


def read_step_events(recording: InsoleRecording) -> dict[str, dict[str, np.ndarray]]:
    """Heel-strike and toe-off times (s) per side from the export's ``left/right steps[]`` columns.

    Returns ``{"left": {"heel_strike_s": [n], "toe_off_s": [m]}, "right": {...}}``, times increasing.
    Codes (11/15 left, 21/25 right) say the side, so either column may hold either side's events; other
    codes are ignored. Raises :class:`InputError` when the recording has no steps column.
    """
    steps = [
        values
        for title, values in recording.extra_columns.items()
        if _normalise(_split_title(title)[0]) in ("left steps", "right steps") and values.dtype.kind == "f"
    ]
    if not steps:
        raise InputError(
            "no step events: expected a 'left steps[]' or 'right steps[]' column", recording.source or None
        )
    codes = np.column_stack(steps)
    events: dict[str, dict[str, np.ndarray]] = {side: {} for side in SIDES}
    for code, (side, event) in STEP_EVENT_CODES.items():
        events[side][f"{event}_s"] = recording.time_s[(codes == code).any(axis=1)]
    return events
