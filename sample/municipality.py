"""A realistic sample municipality: Agresso exports (and NAV's diagnosis file) modelled on Andebu
kommune (about 450 employees in four sectors), for demos, tests and benchmarks.

Everything is drawn with numpy for all employees at once (no loop over people, spells or days),
so `employees=500_000` takes seconds. Same seed and arguments, byte-identical files.

The model: employments with part-time shares, second jobs, position changes, joiners and leavers;
sick-leave spells as a Poisson process per person and quarter whose intensity depends on the
sector and the quarter (seasonality: Q1 high, Q3 low), with heavy-tailed durations, graded sick
notes and self-certified days that run into doctor-certified spells. The intensities below were
calibrated so the expected quarterly rates match the seed's measured figures (SPEC section 1):
at 20 000 employees every quarter lands within half a point. At 450 employees the few long cases
move a quarter by a point or more from one seed to the next; the default seed (74) is one whose
sample lands within about a point of the seed's figures for the municipality and for Helse,
omsorg og velferd, with the seasonal shape intact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.profile import Profile, load_profile
from pipeline.sample_marker import SAMPLE_MARKER, SAMPLE_NOTICE
from sample import cost
from sample.follow_up import follow_up_export, with_leaders
from sample.formats import _format_dates, _format_numbers
from sample.manual import _manual_measurements
from sample.people import _employment_export, _employments, _org_export, _organisation
from sample.spells import _absences, _nav_diagnosis


@dataclass
class GenerationSummary:
    seed: int
    employees: int
    paths: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def generate_municipality(
    raw_dir: Path,
    employees: int = 450,
    seed: int = 74,
    start: dt.date = dt.date(2013, 1, 1),
    end: dt.date = dt.date(2014, 6, 30),
    profile: Profile | None = None,
) -> GenerationSummary:
    """Write the sample municipality's exports under raw_dir (agresso/ and nav/)."""
    profile = profile or load_profile()
    rng = np.random.default_rng(seed)
    raw_dir = Path(raw_dir)
    org = _organisation(employees, rng)
    people, jobs = _employments(employees, org, start, end, rng)
    absences, spells = _absences(people, jobs, start, end, rng)
    nav = _nav_diagnosis(spells, jobs, org, start, end, rng)
    cost_rng = np.random.default_rng([seed, 2])  # its own stream: the other files stay as they were
    jobs["annual_pay"] = cost.annual_pay(jobs, cost_rng)

    summary = GenerationSummary(seed=seed, employees=employees)
    agresso = raw_dir / "agresso"
    agresso.mkdir(parents=True, exist_ok=True)
    for name, frame, source in [
        (
            "organisasjon.csv",
            with_leaders(_org_export(org), np.random.default_rng([seed, 3])),
            "organisation",
        ),
        ("ansettelser.csv", _employment_export(people, jobs), "employments"),
        ("fravaer.csv", absences, "absences"),
    ]:
        path = agresso / name
        _write_agresso(frame, profile.source(source), path)
        summary.paths.append(path)
        summary.rows[source] = len(frame)
    nav_dir = raw_dir / "nav"
    nav_dir.mkdir(parents=True, exist_ok=True)
    nav_path = nav_dir / "nav_diagnose.csv"
    nav_path.write_bytes(
        ("\ufeff" + nav.to_csv(sep=";", index=False, lineterminator="\r\n")).encode("utf-8")
    )
    summary.paths.append(nav_path)
    summary.rows["nav_diagnosis"] = len(nav)
    manual = _manual_measurements(start, end, np.random.default_rng([seed, 1]))
    manual_dir = raw_dir / "manual"
    manual_dir.mkdir(parents=True, exist_ok=True)
    manual_path = manual_dir / "manuelle_maalinger.csv"
    manual_path.write_bytes(
        ("\ufeff" + manual.to_csv(sep=";", index=False, lineterminator="\r\n")).encode("utf-8")
    )
    summary.paths.append(manual_path)
    summary.rows["manual"] = len(manual)
    accounts = cost.accounts(spells, jobs, org, np.datetime64(start), np.datetime64(end), cost_rng)
    accounts_dir = raw_dir / profile.source("accounts").folder
    accounts_dir.mkdir(parents=True, exist_ok=True)
    accounts_path = accounts_dir / "regnskap.csv"
    accounts_path.write_bytes(
        ("\ufeff" + accounts.to_csv(sep=";", index=False, lineterminator="\r\n")).encode("utf-8")
    )
    summary.paths.append(accounts_path)
    summary.rows["accounts"] = len(accounts)
    _write_follow_up(raw_dir, absences, people, jobs, end, profile, seed, summary)
    summary.paths.append(write_sample_marker(raw_dir, seed, employees))
    return summary


def _write_follow_up(raw_dir, absences, people, jobs, end, profile, seed, summary) -> None:
    """The follow-up export (data/raw/oppfolging), drawn from its own stream of random numbers
    so the other files stay as they were."""
    if "follow_up" not in profile.sources:
        return
    first_jobs = jobs.drop_duplicates("person")
    home_units = pd.Series(
        first_jobs["unit_code"].to_numpy(),
        index=people["resource_id"].to_numpy()[first_jobs["person"].to_numpy()],
    )
    frame = follow_up_export(absences, home_units, end, profile, np.random.default_rng([seed, 2]))
    folder = raw_dir / profile.source("follow_up").folder
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "oppfolging.csv"
    _write_agresso(frame, profile.source("follow_up"), path)
    summary.paths.append(path)
    summary.rows["follow_up"] = len(frame)


def write_sample_marker(raw_dir: Path, seed: int, employees: int) -> Path:
    path = Path(raw_dir) / SAMPLE_MARKER
    path.write_text(
        f"{SAMPLE_NOTICE}.\n\n"
        f"Filene i denne mappen er laget av «sickleave generate» (frø {seed}, {employees} "
        "ansatte), en oppdiktet kommune modellert på Andebu kommune. Så lenge denne filen ligger "
        "her, sier hver rapport og arbeidsbok at tallene er eksempeldata.\n"
        "Virkelige uttrekk legges i en tom inndatamappe (slett eksempelfilene og denne filen "
        "først).\n",
        encoding="utf-8",
    )
    return path


REFERENCE_DATA = Path(__file__).resolve().parent / "reference_data"


def copy_reference_data(raw_dir: Path) -> list[Path]:
    """Put the shipped national reference files (SSB 12439, NAV's diagnosis tables) in
    raw_dir/ssb, so the sample has the country's line to compare with."""
    target = Path(raw_dir) / "ssb"
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in sorted(REFERENCE_DATA.glob("*")):
        if source.suffix in {".csv", ".txt"}:
            (target / source.name).write_bytes(source.read_bytes())
            copied.append(target / source.name)
    return copied


def _write_agresso(frame: pd.DataFrame, source, path: Path) -> None:
    """Write with the profile's headers, ';', decimal comma, dd.mm.yyyy, cp1252, CRLF."""
    out = pd.DataFrame()
    for column in source.columns.values():
        if column.name not in frame.columns:
            continue
        values = frame[column.name]
        if column.type == "date":
            values = _format_dates(values)
        elif column.type == "number":
            values = _format_numbers(values)
        out[column.header] = values.fillna("").astype(str)
    path.write_bytes(out.to_csv(sep=";", index=False, lineterminator="\r\n").encode("cp1252"))
