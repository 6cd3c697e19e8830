"""Manual measurements: the numbers no system exports (employee survey score, share of safety
rounds and appraisal talks done, user survey), typed in by HR in `data/raw/manual/*.csv`.

Format (the default dialect): `;`-separated, decimal comma, UTF-8 (with or without BOM) or
Windows-1252, header `Indikator;Periode;Verdi;Kommentar`, one measurement per line, e.g.

    Indikator;Periode;Verdi;Kommentar
    vernerunder_gjennomfort;2014;92,5;Alle enheter unntatt én
    medarbeiderundersokelse_kommunen;2014K2;4,4;

`Periode` is a year (`2014`) or a quarter (`2014K1`). A line that names an indicator the plan
does not have, or one the plan measures from Agresso or NAV, or whose period or value cannot be
read, is not loaded and becomes a finding; the other lines load.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.errors import FileRejected
from pipeline.findings import ERROR, Finding
from pipeline.plan import MANUAL_MEASURE, Plan
from pipeline.profile import Dialect, Limits, load_profile
from pipeline.rawfile import folder_files
from pipeline.read import read_csv_file
from pipeline.vocabulary import PERIOD_PATTERN

SOURCE = "manual"
HEADERS = {"indicator": "Indikator", "period": "Periode", "value": "Verdi", "comment": "Kommentar"}
REQUIRED_HEADERS = (HEADERS["indicator"], HEADERS["period"], HEADERS["value"])
MEASUREMENT_COLUMNS = [
    "indicator_id",
    "period_type",
    "period",
    "value",
    "comment",
    "source_file",
    "source_line",
]
# Values are kept exact (no binary floats) until SQL rounds them half up to one decimal.
VALUE_TYPE = pa.decimal128(18, 6)
# indicator_status holds values as DECIMAL(6, 1): anything that rounds to 100000.0 does not fit.
TOO_LARGE = Decimal("99999.95")

_NUMBER = r"^[+-]?[0-9]{1,12}(?:\.[0-9]{1,6})?$"


def parse_manual_measurements(
    raw: pd.DataFrame, plan: Plan, decimal: str = ","
) -> tuple[pd.DataFrame, list[Finding]]:
    """Type and check manual measurements given as text, the way they stand in the files.

    `raw` has the file headers (`Indikator`, `Periode`, `Verdi`, optional `Kommentar`) as text
    columns, plus `source_file` and `source_line` when known (otherwise line numbers are counted
    from 2, below the header). Returns the measurements that load (MEASUREMENT_COLUMNS; `value`
    as an exact decimal) and one finding per problem. When the same indicator and period occur
    more than once, the last line (in file and line order) wins and the earlier ones are reported.
    """
    frame = raw.copy()
    if "source_file" not in frame:
        frame["source_file"] = SOURCE
    if "source_line" not in frame:
        frame["source_line"] = range(2, len(frame) + 2)
    if HEADERS["comment"] not in frame:
        frame[HEADERS["comment"]] = ""
    text = frame[[*REQUIRED_HEADERS, HEADERS["comment"]]].fillna("").astype(str)
    text = text.apply(lambda column: column.str.strip())
    # Blank lines (Excel often leaves a few at the end) are not measurements.
    keep = (text != "").any(axis=1)
    frame, text = frame[keep], text[keep]

    indicator = text[HEADERS["indicator"]]
    period = text[HEADERS["period"]].str.upper().str.replace(r"\s+", "", regex=True)
    parts = period.str.extract(PERIOD_PATTERN)
    period_ok = parts["year"].notna()

    value_text = (
        text[HEADERS["value"]]
        .str.replace(r"[\s\u00a0\u202f%]", "", regex=True)
        .str.replace(decimal, ".", regex=False)
    )
    value_ok = value_text.str.match(_NUMBER)
    values = pd.Series(pd.NA, index=frame.index, dtype=pd.ArrowDtype(VALUE_TYPE))
    if value_ok.any():
        parsed = pc.cast(pa.array(value_text[value_ok].tolist(), pa.string()), VALUE_TYPE)
        values[value_ok] = pd.Series(parsed.to_pandas(types_mapper=pd.ArrowDtype)).to_numpy()
    in_range = (values.abs() < TOO_LARGE).fillna(False).astype(bool)

    known = {ind.id: ind for ind in plan.indicators}
    manual_ids = [i for i, ind in known.items() if ind.measure == MANUAL_MEASURE]
    is_known = indicator.isin(list(known))
    is_manual = indicator.isin(manual_ids)

    problems = {
        "manual_indicator_missing": indicator == "",
        "manual_indicator_unknown": (indicator != "") & ~is_known,
        "manual_indicator_not_manual": is_known & ~is_manual,
        "manual_period_unparseable": ~period_ok,
        "manual_value_missing": value_text == "",
        "manual_value_unparseable": (value_text != "") & ~value_ok,
        "manual_value_out_of_range": value_ok & ~in_range,
    }
    findings = []
    rejected = pd.Series(False, index=frame.index)
    for rule, mask in problems.items():
        rejected |= mask
        for idx in mask[mask].index:
            findings.append(
                _finding(
                    frame.loc[idx],
                    rule,
                    indicator[idx],
                    text.at[idx, HEADERS["period"]],
                    text.at[idx, HEADERS["value"]],
                    known,
                )
            )

    good = ~rejected
    measurements = pd.DataFrame(
        {
            "indicator_id": indicator[good],
            "period_type": parts.loc[good, "quarter"].notna().map({True: "quarter", False: "year"}),
            "period": period[good],
            "value": values[good],
            "comment": text.loc[good, HEADERS["comment"]].replace("", None),
            "source_file": frame.loc[good, "source_file"].astype(str),
            "source_line": frame.loc[good, "source_line"].astype("int64"),
        },
        columns=MEASUREMENT_COLUMNS,
    )
    measurements, duplicate_findings = _keep_last_of_duplicates(measurements)
    findings.extend(duplicate_findings)
    findings.sort(key=lambda f: (f.file, f.line or 0, f.rule))
    return measurements.reset_index(drop=True), findings


def _keep_last_of_duplicates(measurements: pd.DataFrame) -> tuple[pd.DataFrame, list[Finding]]:
    key = ["indicator_id", "period_type", "period"]
    earlier = measurements.duplicated(subset=key, keep="last")
    latest = measurements.drop_duplicates(subset=key, keep="last").set_index(key)
    findings = []
    for _, row in measurements[earlier].iterrows():
        winner = latest.loc[(row["indicator_id"], row["period_type"], row["period"])]
        findings.append(
            Finding(
                source=SOURCE,
                file=row["source_file"],
                line=int(row["source_line"]),
                column=HEADERS["period"],
                severity=ERROR,
                rule="manual_duplicate",
                message=(
                    f"Indikatoren «{row['indicator_id']}» har en ny verdi for {row['period']} i "
                    f"{winner['source_file']} linje {int(winner['source_line'])}; den brukes, og "
                    "denne linjen er ikke lastet. Slett linjen som ikke gjelder."
                ),
            )
        )
    return measurements[~earlier], findings


def _finding(row: pd.Series, rule: str, indicator: str, period: str, value: str, known) -> Finding:
    column = HEADERS["value"]
    shown = value[:20]
    if rule == "manual_indicator_missing":
        column = HEADERS["indicator"]
        message = "Indikator mangler; skriv id-en til indikatoren fra plan.yaml."
    elif rule == "manual_indicator_unknown":
        column = HEADERS["indicator"]
        message = (
            f"Indikatoren «{indicator[:60]}» finnes ikke i plan.yaml; sjekk stavemåten eller legg "
            "indikatoren til i planen."
        )
    elif rule == "manual_indicator_not_manual":
        column = HEADERS["indicator"]
        message = (
            f"Indikatoren «{indicator}» beregnes automatisk ({known[indicator].measure}) og tar "
            "ikke manuelle verdier; fjern linjen, eller endre measure til manual i plan.yaml."
        )
    elif rule == "manual_period_unparseable":
        column = HEADERS["period"]
        message = (
            f"Perioden «{period[:20]}» kan ikke leses; skriv et år (2014) eller et kvartal "
            "(2014K1)."
        )
    elif rule == "manual_value_missing":
        message = "Verdi mangler; skriv tallet, eller slett linjen."
    elif rule == "manual_value_unparseable":
        message = (
            f"Verdien «{shown}» kan ikke leses som et tall; skriv tallet med desimalkomma, "
            "f.eks. 4,5."
        )
    else:
        message = (
            f"Verdien «{shown}» er for stor til å lagres (høyst 99 999,9); oppgi beløp i tusen "
            "kroner."
        )
    return Finding(
        source=SOURCE,
        file=str(row["source_file"]),
        line=int(row["source_line"]),
        column=column,
        severity=ERROR,
        rule=rule,
        message=message,
    )


def read_manual_measurements(
    folder: Path, plan: Plan, dialect: Dialect | None = None, limits: Limits | None = None
) -> tuple[pd.DataFrame, list[Finding]]:
    """Read every `*.csv` in the folder (name order) and parse them together, so a later file can
    correct an earlier one. A file that cannot be read as a whole is rejected with a finding."""
    if dialect is None or limits is None:
        profile = load_profile()
        dialect, limits = dialect or profile.dialect, limits or profile.limits
    frames, findings = [], []
    # Regular files only, never through a link (the night reports the other entries).
    for path in [p for p in folder_files(folder)[0] if p.suffix.lower() == ".csv"]:
        frame, file_findings = _read_file(path, dialect, limits)
        findings += file_findings
        if frame is not None:
            frames.append(frame)
    if not frames:
        empty = pd.DataFrame(columns=[*REQUIRED_HEADERS, "source_file", "source_line"], dtype=str)
        measurements, _ = parse_manual_measurements(empty, plan, dialect.decimal)
        return measurements, findings
    raw = pd.concat(frames, ignore_index=True)
    measurements, row_findings = parse_manual_measurements(raw, plan, dialect.decimal)
    return measurements, findings + row_findings


def _read_file(
    path: Path, dialect: Dialect, limits: Limits
) -> tuple[pd.DataFrame | None, list[Finding]]:
    def rejected(rule: str, message: str, column: str | None = None):
        return None, [Finding(SOURCE, path.name, None, column, ERROR, rule, message)]

    try:
        csv_file = read_csv_file(path, dialect, limits, SOURCE)
    except FileRejected as exc:
        return rejected(f"manual_{exc.rule}", exc.reason)
    frame = csv_file.frame
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [h for h in REQUIRED_HEADERS if h not in frame.columns]
    if missing:
        return rejected(
            "manual_column_missing",
            f"Kolonnen «{missing[0]}» mangler; overskriften skal være "
            f"{dialect.delimiter.join([*REQUIRED_HEADERS, HEADERS['comment']])}.",
            column=missing[0],
        )
    frame["source_file"] = path.name
    frame["source_line"] = frame.index  # the line in the file (see read.number_lines)
    return frame, csv_file.findings
