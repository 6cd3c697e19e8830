"""Great Expectations suites kept as data in schemas/expectations/<source>.yaml, run on the typed
DataFrame of one file before anything is loaded.

File-level expectations reject the whole file; row-level ones quarantine the failing rows, found
through GX's unexpected-index list keyed on `source_line`. Offending values are never copied into
findings: GX returns them, we keep only the line numbers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from ruamel.yaml import YAML

from pipeline.errors import FileRejected
from pipeline.profile import SCHEMAS_DIR, Source

SUITES_DIR = SCHEMAS_DIR / "expectations"
EARLIEST_PLAUSIBLE_DATE = dt.date(1900, 1, 1)
COLLAPSE_SHARE = 0.5  # a new export with under half the rows of the previous one is suspicious
LARGE_VALUE_SET = 200  # beyond this, a set expectation is checked as membership (see below)

_suite_names = itertools.count()


@dataclass(frozen=True)
class RowFailure:
    rule: str
    column: str  # canonical column name
    message: str
    lines: list[int]


@cache
def load_suite_spec(source: str) -> dict:
    path = SUITES_DIR / f"{source}.yaml"
    if not path.exists():
        return {"file_level": [], "row_level": []}
    return YAML(typ="safe").load(Path(path).read_text(encoding="utf-8"))


@cache
def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # slow import (~5 s): only when a suite actually runs

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    datasource = context.data_sources.add_pandas("exports")
    # One asset and batch definition for every frame: adding and deleting them per file made GX
    # write its project configuration as YAML each time (a quarter of a second per file).
    whole_frame = datasource.add_dataframe_asset("frame").add_batch_definition_whole_dataframe(
        "whole"
    )
    return gx, context, whole_frame


def _substitute(value, params: dict):
    if isinstance(value, str) and value.startswith("$"):
        return params[value[1:]]
    return value


def _build_suite(entries: list[dict], params: dict):
    gx, context, _ = _context()
    suite = gx.ExpectationSuite(name=f"suite_{next(_suite_names)}")
    for entry in entries:
        kwargs = {k: _substitute(v, params) for k, v in entry["kwargs"].items()}
        if any(v is None for v in kwargs.values()):
            continue  # a parameter this run does not have (e.g. no previous export to compare)
        cls = gx.expectations.registry.get_expectation_impl(entry["expectation"])
        suite.add_expectation(cls(**kwargs, meta={"rule": entry["rule"]}))
    return context.suites.add(suite)


def _gx_frame(frame: pd.DataFrame, columns: set[str] | None = None) -> pd.DataFrame:
    """Dates as datetime64 (GX compares those), only the columns the suites can name; with
    `columns`, only those and source_line (GX copies and converts every column it is given, which
    costs seconds on a file of millions of rows)."""
    keep = [
        c
        for c in frame.columns
        if not c.startswith("_") and (columns is None or c in columns or c == "source_line")
    ]
    out = frame[keep].copy()
    for column in out.columns:
        # The reader types a column as all dates (or missing) or not at all: its first value
        # tells, without looking at every row.
        first = out[column].first_valid_index() if out[column].dtype == object else None
        if first is not None and isinstance(out[column].at[first], dt.date):
            out[column] = pd.to_datetime(out[column])
    return out


def _validate(frame: pd.DataFrame, entries: list[dict], params: dict) -> list[tuple]:
    """Run the entries as one GX suite; (entry, GX's result, the failing lines) per entry.

    When every entry judges each value (or pair of values) on its own, GX is given each
    distinct value once (_DistinctValues) instead of every row: the same failures, found in a
    frame of thousands of rows instead of millions."""
    entries = [e for e in entries if _column_of(e) is None or _column_of(e) in frame.columns]
    if not entries:
        return []
    _, context, whole_frame = _context()
    distinct = _DistinctValues.of(frame, entries)
    gx_input, gx_entries = (frame, entries) if distinct is None else distinct.frame_and_entries()
    checked, membership = _large_sets_as_membership(gx_input, gx_entries, params)
    suite = _build_suite(checked, params)
    gx_frame = _gx_frame(gx_input, _columns_of(checked) - set(membership))
    for name, values in membership.items():
        gx_frame[name] = values
    batch = whole_frame.get_batch(batch_parameters={"dataframe": gx_frame})
    result = batch.validate(
        suite,
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": ["source_line"],
        },
    )
    context.suites.delete(suite.name)
    by_rule = {e["rule"]: e for e in entries}  # report under the entry as written
    out = []
    for outcome in result.results:
        entry = by_rule[outcome.expectation_config.meta["rule"]]
        index_list = (outcome.result or {}).get("unexpected_index_list") or []
        found = np.asarray([int(i["source_line"]) for i in index_list], dtype=np.int64)
        lines = found if distinct is None else distinct.lines(entry, found)
        out.append((entry, outcome, np.sort(lines)))
    return out


# Expectations that judge each row by its own values in the named columns, and aggregates a
# repeated value cannot change: for these a frame of the distinct values gives the same verdict
# as the whole file. Only with the arguments below: `mostly` judges a share of the rows and a
# `row_condition` reads other columns, so an entry with either sees every row.
_PER_VALUE = {
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_value_lengths_to_be_between",
    "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_column_pair_values_to_be_equal",
}
_SAME_OVER_DISTINCT = {"expect_column_min_to_be_between", "expect_column_max_to_be_between"}
_PER_VALUE_ARGUMENTS = {
    "column",
    "column_A",
    "column_B",
    "value_set",
    "min_value",
    "max_value",
    "strict_min",
    "strict_max",
    "regex",
    "or_equal",
    "ignore_row_if",
}


@dataclass
class _DistinctValues:
    """A file's rows grouped by the values each entry reads, for GX to see each distinct value
    (or pair) once. Groups of different entries have different sizes; in the one frame GX gets,
    each group's columns are padded to the longest with copies of the group's first row, which
    change no verdict (a copy fails exactly when its original does)."""

    frame: pd.DataFrame
    entries: list[dict]
    groups: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]]  # columns -> (codes, firsts)
    names: dict[tuple[str, ...], dict[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, frame: pd.DataFrame, entries: list[dict]) -> _DistinctValues | None:
        per_value = all(
            e["expectation"] in _PER_VALUE | _SAME_OVER_DISTINCT
            and set(e["kwargs"]) <= _PER_VALUE_ARGUMENTS
            and _columns_of([e])
            for e in entries
        )
        if not per_value or frame.empty:
            return None
        groups = {}
        for entry in entries:
            columns = _entry_columns(entry)
            if columns not in groups:
                groups[columns] = _group_rows(frame, list(columns))
        return cls(frame, entries, groups)

    def frame_and_entries(self) -> tuple[pd.DataFrame, list[dict]]:
        """The frame GX validates (source_line: the position of the distinct row) and the entries
        with its column names (a column read by two groups appears once per group)."""
        height = max(len(firsts) for _, firsts in self.groups.values())
        data: dict[str, object] = {"source_line": np.arange(height, dtype=np.int64)}
        for number, (columns, (_, firsts)) in enumerate(self.groups.items()):
            rows = np.concatenate([firsts, np.full(height - len(firsts), firsts[0])])
            names = {}
            for column in columns:
                name = column if column not in data else f"{column}__{number}"
                data[name] = self.frame[column].array.take(rows)
                names[column] = name
            self.names[columns] = names
        return pd.DataFrame(data), [self._renamed(e) for e in self.entries]

    def lines(self, entry: dict, positions: np.ndarray) -> np.ndarray:
        """The file's lines whose values failed, from the distinct rows GX reported."""
        codes, firsts = self.groups[_entry_columns(entry)]
        failed = positions[positions < len(firsts)]  # padding repeats a reported first row
        return self.frame["source_line"].to_numpy()[np.isin(codes, failed)]

    def _renamed(self, entry: dict) -> dict:
        names = self.names[_entry_columns(entry)]
        kwargs = dict(entry["kwargs"])
        for key in _COLUMN_KWARGS:
            value = kwargs.get(key)
            if isinstance(value, str):
                kwargs[key] = names[value]
            elif isinstance(value, list):
                kwargs[key] = [names[v] for v in value]
        return {**entry, "kwargs": kwargs}


_COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")


def _entry_columns(entry: dict) -> tuple[str, ...]:
    return tuple(sorted(_columns_of([entry])))


def _group_rows(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group (rows with the same values in these columns, missing values alike)
    numbered in order of first appearance, and the position of each group's first row."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for column in columns:
        column_codes, distinct = pd.factorize(frame[column], use_na_sentinel=False)
        codes, _ = pd.factorize(codes * len(distinct) + column_codes)
    # Groups are numbered as they first appear: a group's first row is where the running
    # maximum of the numbers grows.
    firsts = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    return codes, firsts


def _large_sets_as_membership(
    frame: pd.DataFrame, entries: list[dict], params: dict
) -> tuple[list[dict], dict[str, pd.Series]]:
    """GX copies an expectation's whole configuration (through pydantic) dozens of times while it
    validates: with a value set of a country's 27 000 unit codes that is seconds per file. A value
    set larger than LARGE_VALUE_SET is therefore checked as membership: pandas computes "is the
    value in the set" once, and GX checks that column against {True}. Missing values stay missing
    (GX's set expectation skips them either way); the rule, lines and message are the entry's."""
    checked, membership = [], {}
    for entry in entries:
        kwargs = entry["kwargs"]
        values = _substitute(kwargs.get("value_set"), params)
        if (
            entry["expectation"] != "expect_column_values_to_be_in_set"
            or values is None
            or len(values) <= LARGE_VALUE_SET
        ):
            checked.append(entry)
            continue
        column = frame[kwargs["column"]]
        name = f"{kwargs['column']}__in__{entry['rule']}"
        membership[name] = column.isin(list(values)).astype(object).where(column.notna(), None)
        checked.append({**entry, "kwargs": {**kwargs, "column": name, "value_set": [True]}})
    return checked, membership


def _columns_of(entries: list[dict]) -> set[str]:
    """Every column the entries' expectations read (table-level ones read none)."""
    names = ("column", "column_A", "column_B", "column_list")
    found: set[str] = set()
    for entry in entries:
        for name in names:
            value = entry["kwargs"].get(name)
            if isinstance(value, str):
                found.add(value)
            elif isinstance(value, list):
                found.update(value)
    return found


def _column_of(entry: dict) -> str | None:
    kwargs = entry["kwargs"]
    return kwargs.get("column") or kwargs.get("column_A")


def _message(entry: dict, source: Source) -> str:
    column = _column_of(entry)
    header = source.columns[column].header if column in source.columns else column
    return " ".join(entry["message"].split()).replace("{header}", str(header))


def check_file(frame: pd.DataFrame, source: Source, params: dict) -> None:
    """Run the source's file-level expectations; raise FileRejected on the first that fails."""
    spec = load_suite_spec(source.name)
    for entry, outcome, _ in _validate(frame, spec.get("file_level", []), params):
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(f"GX could not run {entry['expectation']}: {outcome.exception_info}")
        if not outcome.success:
            column = _column_of(entry)
            header = source.columns[column].header if column in source.columns else None
            raise FileRejected(_message(entry, source), column=header, rule=entry["rule"])


def check_rows(frame: pd.DataFrame, source: Source, params: dict) -> list[RowFailure]:
    """Run the source's row-level expectations; return the failing lines per rule."""
    spec = load_suite_spec(source.name)
    failures = []
    for entry, outcome, lines in _validate(frame, spec.get("row_level", []), params):
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(f"GX could not run {entry['expectation']}: {outcome.exception_info}")
        if outcome.success:
            continue
        failures.append(
            RowFailure(entry["rule"], _column_of(entry), _message(entry, source), lines.tolist())
        )
    return failures
