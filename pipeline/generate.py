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

from pipeline.calendar import norwegian_public_holidays
from pipeline.profile import Profile, load_profile

SECTORS = {  # code: (name, share of employees)
    "10": ("Sentraladministrasjon", 0.08),
    "20": ("Helse, omsorg og velferd", 0.40),
    "30": ("Oppvekst og kultur", 0.40),
    "40": ("Teknisk, landbruk og næring", 0.12),
}
UNIT_NAMES = {
    "10": ["Rådmannens stab", "Økonomi", "Personal og organisasjon", "Servicetorget", "IKT"],
    "20": [
        "Andebu sykehjem",
        "Hjemmetjenesten",
        "Bo- og avlastning",
        "NAV Andebu",
        "Psykisk helse",
        "Helsestasjon",
        "Fysio- og ergoterapi",
        "Kjøkken sykehjem",
        "Legekontor",
        "Tildelingskontor",
    ],
    "30": [
        "Andebu skole",
        "Høyjord skole",
        "Kodal skole",
        "Andebu ungdomsskole",
        "Andebu barnehage",
        "Kodal barnehage",
        "Høyjord barnehage",
        "Kulturskolen",
        "Bibliotek",
        "PP-tjenesten",
    ],
    "40": [
        "Teknisk drift",
        "Vann og avløp",
        "Eiendom og renhold",
        "Plan og byggesak",
        "Landbrukskontor",
    ],
}
# The unit that moves between sectors in the reorganisation of 1 January 2014.
MOVING_UNIT_NAME = "Helsestasjon"
MOVE_FROM, MOVE_TO, MOVE_DATE = "30", "20", dt.date(2014, 1, 1)

FEMALE = [
    "Anne",
    "Inger",
    "Kari",
    "Marit",
    "Ingrid",
    "Liv",
    "Eva",
    "Berit",
    "Astrid",
    "Hilde",
    "Nina",
    "Ida",
    "Silje",
    "Tone",
    "Randi",
    "Mona",
    "Camilla",
    "Heidi",
    "Trine",
    "Siri",
]
MALE = [
    "Jan",
    "Per",
    "Bjørn",
    "Ole",
    "Lars",
    "Kjell",
    "Knut",
    "Arne",
    "Svein",
    "Hans",
    "Geir",
    "Tor",
    "Terje",
    "Odd",
    "Rune",
    "Morten",
    "Espen",
    "Thomas",
    "Anders",
    "Øyvind",
]
SURNAMES = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
    "Jørgensen",
    "Halvorsen",
    "Henriksen",
    "Lund",
    "Sørensen",
    "Moen",
    "Gundersen",
    "Iversen",
    "Strand",
    "Solberg",
    "Svendsen",
    "Eide",
    "Knutsen",
    "Martinsen",
    "Paulsen",
    "Bakken",
    "Kristoffersen",
    "Mathisen",
    "Lie",
    "Amundsen",
    "Nguyen",
    "Rasmussen",
    "Ali",
    "Lunde",
    "Solheim",
    "Berge",
    "Moe",
    "Nygård",
    "Bakke",
    "Kristensen",
]

POSITION_PCTS = np.array([100, 80, 75, 66.67, 60, 50, 40, 20])
# Part-time is the rule in health and care, the exception in administration.
POSITION_WEIGHTS = {
    "10": [0.72, 0.10, 0.05, 0.02, 0.04, 0.05, 0.01, 0.01],
    "20": [0.28, 0.16, 0.18, 0.06, 0.10, 0.12, 0.06, 0.04],
    "30": [0.55, 0.12, 0.10, 0.03, 0.07, 0.08, 0.03, 0.02],
    "40": [0.80, 0.06, 0.04, 0.01, 0.03, 0.04, 0.01, 0.01],
}

# Doctor-certified spell starts per person and working day, by sector group and quarter,
# calibrated so the expected rates match the seed's figures for 2013K1-2014K2 (see module
# docstring); other quarters use the seasonal mean of the same quarter of the year.
DOCTOR_INTENSITY = {
    "20": {
        "2013K1": 0.00535,
        "2013K2": 0.00322,
        "2013K3": 0.00280,
        "2013K4": 0.00319,
        "2014K1": 0.00395,
        "2014K2": 0.00590,
    },
    "other": {
        "2013K1": 0.00366,
        "2013K2": 0.00151,
        "2013K3": 0.00176,
        "2013K4": 0.00323,
        "2014K1": 0.00329,
        "2014K2": 0.00139,
    },
}
SELF_INTENSITY = {1: 0.0072, 2: 0.0058, 3: 0.0046, 4: 0.0063}  # by quarter of the year
BURN_IN_DAYS = 183  # spells drawn from half a year earlier, so long cases carry into the history
# Doctor-certified durations in calendar days: mostly short, a heavy tail of long cases.
DURATION_BANDS = [(3, 16, 0.50), (17, 56, 0.33), (57, 140, 0.12), (141, 300, 0.05)]
GRADES = np.array([20, 40, 50, 60, 80])
GRADED_SHARE = 0.25
# NAV's diagnosis groups and their shares of doctor-certified spells.
DIAGNOSIS_SHARES = {
    "L": 0.40,
    "P": 0.20,
    "W": 0.05,
    "R": 0.09,
    "A": 0.06,
    "D": 0.04,
    "K": 0.04,
    "N": 0.04,
    "Andre lidelser": 0.08,
}
ABSENCE_TEXT = {
    "EGM": "Egenmelding",
    "SYK": "Sykemelding",
    "BARN": "Barns sykdom",
    "FERIE": "Ferie",
    "PERM": "Permisjon",
}


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

    summary = GenerationSummary(seed=seed, employees=employees)
    agresso = raw_dir / "agresso"
    agresso.mkdir(parents=True, exist_ok=True)
    for name, frame, source in [
        ("organisasjon.csv", _org_export(org), "organisation"),
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
    summary.paths.append(write_sample_marker(raw_dir, seed, employees))
    return summary


# --- the sample marker ------------------------------------------------------------------------

# The generator leaves this file in the raw folder; a run that finds it records that its figures
# are sample data (run_info.is_sample_data), and every report made from them says so. The sample
# carries a real municipality's name, so its figures must never pass for that municipality's own.
SAMPLE_MARKER = "EKSEMPELDATA.txt"
SAMPLE_NOTICE = "Eksempeldata – ikke virkelige tall"


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


def is_sample_data(raw_dir: Path) -> bool:
    """Whether the raw folder holds the generator's sample (its marker file is there)."""
    return (Path(raw_dir) / SAMPLE_MARKER).is_file()


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


# --- organisation ---------------------------------------------------------------------------


def _org_number(rng: np.random.Generator) -> str:
    """A 9-digit organisation number with a valid mod-11 check digit."""
    weights = np.array([3, 2, 7, 6, 5, 4, 3, 2])
    while True:
        digits = np.concatenate([[9], rng.integers(0, 10, 7)])
        check = 11 - int(digits @ weights) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def _organisation(employees: int, rng: np.random.Generator) -> pd.DataFrame:
    total_units = max(len(SECTORS), round(employees / 18))
    rows = []
    for code, (sector_name, share) in SECTORS.items():
        names = UNIT_NAMES[code]
        count = max(1, round(total_units * share))
        width = max(3, len(str(count * 10)))
        org_number = _org_number(rng)
        for i in range(count):
            base = names[i % len(names)]
            name = base if i < len(names) else f"{base} {i // len(names) + 1}"
            unit = f"{code[0]}{(i + 1) * 10:0{width}d}"
            rows.append((unit, name, code, sector_name, org_number, share / count))
    org = pd.DataFrame(
        rows,
        columns=["unit_code", "unit_name", "sector_code", "sector_name", "org_number", "weight"],
    )
    org["valid_from"], org["valid_to"] = None, None
    return org


def _org_export(org: pd.DataFrame) -> pd.DataFrame:
    """One row per unit; the moving unit gets two rows with validity around the move."""
    mover = (org["unit_name"] == MOVING_UNIT_NAME) & (org["sector_code"] == "20")
    out = org.drop(columns="weight").copy()
    if mover.any():
        before = out[mover].copy()
        before["sector_code"] = MOVE_FROM
        before["sector_name"] = SECTORS[MOVE_FROM][0]
        before["org_number"] = out.loc[out["sector_code"] == MOVE_FROM, "org_number"].iloc[0]
        before["valid_to"] = MOVE_DATE - dt.timedelta(days=1)
        out.loc[mover, "valid_from"] = MOVE_DATE
        out = pd.concat([out, before]).sort_values(["unit_code", "valid_to"], na_position="last")
    return out.reset_index(drop=True)


# --- employments ----------------------------------------------------------------------------


def _identity_numbers(birth: np.ndarray, female: np.ndarray, rng: np.random.Generator) -> list:
    """Valid 11-digit fødselsnummer for people born 1900-1999 (individual numbers 000-499)."""
    days = pd.to_datetime(birth)
    base = np.char.add(
        days.strftime("%d%m").to_numpy().astype(str), days.strftime("%y").to_numpy().astype(str)
    )
    digits = np.array([list(map(int, b)) for b in base.tolist()]) if len(base) else np.zeros((0, 6))
    result = np.empty(len(base), dtype=object)
    todo = np.arange(len(base))
    w1 = np.array([3, 7, 6, 1, 8, 9, 4, 5, 2])
    w2 = np.array([5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
    while len(todo):
        individual = rng.integers(0, 250, len(todo)) * 2 + (~female[todo]).astype(int)
        ind_digits = np.stack([individual // 100, individual // 10 % 10, individual % 10], 1)
        nine = np.concatenate([digits[todo], ind_digits], 1)
        k1 = (11 - (nine @ w1) % 11) % 11
        ten = np.concatenate([nine, k1[:, None]], 1)
        k2 = (11 - (ten @ w2) % 11) % 11
        ok = (k1 != 10) & (k2 != 10)
        full = np.concatenate([ten, k2[:, None]], 1)[ok]
        result[todo[ok]] = ["".join(map(str, row)) for row in full]
        todo = todo[~ok]
    return result.tolist()


def _employments(
    employees: int, org: pd.DataFrame, start: dt.date, end: dt.date, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = employees
    unit_index = rng.choice(len(org), n, p=(org["weight"] / org["weight"].sum()).to_numpy())
    sector = org["sector_code"].to_numpy()[unit_index]
    span = (end - start).days
    joins = rng.random(n) < 0.12
    from_date = np.where(
        joins,
        np.datetime64(start) + rng.integers(1, span, n).astype("timedelta64[D]"),
        np.datetime64("1985-01-01")
        + rng.integers(0, (start - dt.date(1985, 1, 1)).days, n).astype("timedelta64[D]"),
    )
    leaves = rng.random(n) < 0.10
    leave_at = np.maximum(from_date, np.datetime64(start)) + rng.integers(30, span, n).astype(
        "timedelta64[D]"
    )
    to_date = np.where(leaves & (leave_at < np.datetime64(end)), leave_at, np.datetime64("NaT"))
    pct = np.empty(n)
    for code, weights in POSITION_WEIGHTS.items():
        mask = sector == code
        pct[mask] = rng.choice(POSITION_PCTS, mask.sum(), p=weights)
    female_share = np.where(np.isin(sector, ["20", "30"]), 0.82, 0.40)
    female = rng.random(n) < female_share
    birth = (
        np.datetime64("1950-01-01") + rng.integers(0, 365 * 45, n).astype("timedelta64[D]")
    ).astype("datetime64[D]")
    first = rng.integers(0, len(FEMALE), n)
    names = np.where(female, np.array(FEMALE)[first], np.array(MALE)[first])
    surname = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
    people = pd.DataFrame(
        {
            "resource_id": (10001 + np.arange(n)).astype(str),
            "sector": sector,
            "female": female,
            "birth_year": birth.astype("datetime64[Y]").astype(int) + 1970,
            "person_name": np.char.add(np.char.add(names.astype(str), " "), surname.astype(str)),
            "national_id": _identity_numbers(birth, female, rng),
        }
    )
    jobs = pd.DataFrame(
        {
            "person": np.arange(n),
            "unit_code": org["unit_code"].to_numpy()[unit_index],
            "position_pct": pct,
            "from_date": from_date.astype("datetime64[D]"),
            "to_date": to_date.astype("datetime64[D]"),
            "position_code": rng.choice(["7040", "7174", "6515", "7523", "6573", "7950"], n),
            "employment_type": rng.choice(["Fast", "Vikar", "Midlertidig"], n, p=[0.8, 0.12, 0.08]),
        }
    )
    # A second job in another unit at the same time (8 %): both shares together at most 100 %.
    second = rng.random(n) < 0.08
    jobs.loc[second, "position_pct"] = np.minimum(jobs.loc[second, "position_pct"], 60)
    extra = jobs[second].copy()
    extra["unit_code"] = org["unit_code"].to_numpy()[rng.integers(0, len(org), second.sum())]
    extra["position_pct"] = rng.choice([20, 30, 40], second.sum())
    # A change of position share during the period (6 %): the old employment ends the day before.
    change = (rng.random(n) < 0.06) & ~second
    change_at = np.datetime64(start) + rng.integers(30, span - 30, n).astype("timedelta64[D]")
    change &= (jobs["from_date"].to_numpy() < change_at) & (
        jobs["to_date"].isna().to_numpy() | (jobs["to_date"].to_numpy() > change_at)
    )
    after = jobs[change].copy()
    after["from_date"] = change_at[change]
    after["position_pct"] = rng.choice(POSITION_PCTS, change.sum())
    jobs.loc[change, "to_date"] = change_at[change] - np.timedelta64(1, "D")
    jobs = pd.concat([jobs, extra, after]).sort_values(["person", "from_date"], kind="stable")
    return people, jobs.reset_index(drop=True)


def _employment_export(people: pd.DataFrame, jobs: pd.DataFrame) -> pd.DataFrame:
    out = jobs.join(people, on="person")
    out["gender"] = np.where(out["female"], "K", "M")
    return out


# --- absences -------------------------------------------------------------------------------


def _quarter_starts(start: dt.date, end: dt.date) -> list[np.datetime64]:
    quarters = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq="Q")
    return [np.datetime64(q.start_time.date()) for q in quarters] + [
        np.datetime64((quarters[-1].end_time + pd.Timedelta(days=1)).date())
    ]


def _quarter_label(bound: np.datetime64) -> str:
    period = pd.Period(pd.Timestamp(bound), freq="Q")
    return f"{period.year}K{period.quarter}"


def _doctor_intensity(group: str, label: str) -> float:
    table = DOCTOR_INTENSITY[group]
    if label in table:
        return table[label]
    same_season = [v for k, v in table.items() if k.endswith(label[-2:])]
    return float(np.mean(same_season))


def _draw_spells(
    jobs: pd.DataFrame,
    intensity: np.ndarray,
    bounds: list,
    holidays: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Spell starts as a Poisson process per employment and quarter (intensity per working day),
    placed uniformly on the employment's days in the quarter."""
    job_from = jobs["from_date"].to_numpy().astype("datetime64[D]")
    job_to = jobs["to_date"].fillna(pd.Timestamp(bounds[-1])).to_numpy().astype("datetime64[D]")
    parts = []
    for q in range(len(bounds) - 1):  # a handful of quarters, not rows
        lo = np.maximum(job_from, bounds[q])
        hi = np.minimum(job_to + 1, bounds[q + 1])
        days = np.maximum((hi - lo).astype(int), 0)
        workdays = np.busday_count(lo, np.maximum(hi, lo), holidays=holidays)
        counts = rng.poisson(intensity[:, q] * workdays)
        index = np.repeat(np.arange(len(jobs)), counts)
        offsets = (rng.random(len(index)) * days[index]).astype(int)
        parts.append(pd.DataFrame({"job": index, "start": lo[index] + offsets, "quarter": q}))
    return pd.concat(parts, ignore_index=True)


def _absences(
    people: pd.DataFrame, jobs: pd.DataFrame, start: dt.date, end: dt.date, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    bounds = _quarter_starts(start - dt.timedelta(days=BURN_IN_DAYS), end)
    holidays = norwegian_public_holidays(start.year - 1, end.year + 1)["holiday_date"].to_numpy(
        dtype="datetime64[D]"
    )
    sector = people["sector"].to_numpy()[jobs["person"].to_numpy()]
    labels = [_quarter_label(b) for b in bounds[:-1]]
    is_health = (sector == "20")[:, None]
    doctor_rate = np.where(
        is_health,
        np.array([_doctor_intensity("20", q) for q in labels]),
        np.array([_doctor_intensity("other", q) for q in labels]),
    )
    self_rate = np.tile(np.array([SELF_INTENSITY[int(q[-1])] for q in labels]), (len(jobs), 1))
    quarters = len(labels)

    doctor = _draw_spells(jobs, doctor_rate, bounds, holidays, rng)
    band = rng.choice(len(DURATION_BANDS), len(doctor), p=[b[2] for b in DURATION_BANDS])
    low = np.array([b[0] for b in DURATION_BANDS])[band]
    high = np.array([b[1] for b in DURATION_BANDS])[band]
    doctor["days"] = rng.integers(low, high + 1)
    doctor["code"] = "SYK"
    graded = rng.random(len(doctor)) < GRADED_SHARE
    doctor["pct"] = np.where(graded, rng.choice(GRADES, len(doctor)), 100)
    groups = list(DIAGNOSIS_SHARES)
    doctor["diagnosis"] = np.array(groups)[
        rng.choice(len(groups), len(doctor), p=list(DIAGNOSIS_SHARES.values()))
    ]
    female = people["female"].to_numpy()[jobs["person"].to_numpy()[doctor["job"]]]
    doctor.loc[(doctor["diagnosis"] == "W") & ~female, "diagnosis"] = "L"

    own = _draw_spells(jobs, self_rate, bounds, holidays, rng)
    own["days"] = rng.integers(1, 4, len(own))
    own["code"], own["pct"], own["diagnosis"] = "EGM", 100, None
    # A third of doctor-certified spells start after self-certified days (one case together).
    lead_in = doctor[rng.random(len(doctor)) < 0.3][["job", "start", "quarter"]].copy()
    lead_in["days"] = rng.integers(1, 4, len(lead_in))
    lead_in["start"] = lead_in["start"] - lead_in["days"].to_numpy().astype("timedelta64[D]")
    lead_in["code"], lead_in["pct"], lead_in["diagnosis"] = "EGM", 100, None

    other = _draw_spells(jobs, np.full((len(jobs), quarters), 0.003), bounds, holidays, rng)
    other["code"] = rng.choice(["BARN", "FERIE", "PERM"], len(other), p=[0.6, 0.3, 0.1])
    other["days"] = np.select(
        [other["code"] == "BARN", other["code"] == "FERIE"],
        [rng.integers(1, 3, len(other)), rng.integers(5, 22, len(other))],
        rng.integers(1, 30, len(other)),
    )
    other["pct"], other["diagnosis"] = 100, None

    spells = pd.concat([doctor, own, lead_in, other], ignore_index=True)
    spells["end"] = spells["start"] + (spells["days"] - 1).to_numpy().astype("timedelta64[D]")
    job_to = jobs["to_date"].to_numpy().astype("datetime64[D]")[spells["job"]]
    cut = ~pd.isna(job_to) & (spells["end"].to_numpy().astype("datetime64[D]") > job_to)
    spells.loc[cut, "end"] = job_to[cut]  # sick notes end with the employment, as a rule
    # Agresso rarely lets sick-leave spells of one employment overlap: keep about 3 % of the
    # overlaps the independent draws produce, so the pipeline's overlap rule has real cases.
    spells = spells.sort_values(["job", "start", "end"], kind="stable").reset_index(drop=True)
    sick = spells["code"].isin(["SYK", "EGM"])
    ends = spells["end"].where(sick).astype("datetime64[ns]")
    previous_end = ends.groupby(spells["job"]).cummax().groupby(spells["job"]).shift()
    overlapping = sick & (spells["start"] <= previous_end)
    spells = spells[~overlapping | (rng.random(len(spells)) < 0.03)].reset_index(drop=True)
    # An export for the history's period shows spells running into it from its first day on.
    spells = spells[spells["end"] >= np.datetime64(start)].reset_index(drop=True)
    spells.loc[spells["start"] < np.datetime64(start), "start"] = np.datetime64(start)
    with_unit = rng.random(len(spells)) < 0.5
    person = jobs["person"].to_numpy()[spells["job"]]
    absences = pd.DataFrame(
        {
            "resource_id": people["resource_id"].to_numpy()[person],
            "absence_code": spells["code"].to_numpy(),
            "from_date": spells["start"].to_numpy(),
            "to_date": spells["end"].to_numpy(),
            "absence_pct": spells["pct"].to_numpy().astype(float),
            "unit_code": np.where(with_unit, jobs["unit_code"].to_numpy()[spells["job"]], ""),
            "absence_text": spells["code"].map(ABSENCE_TEXT).to_numpy(),
        }
    )
    # Some Agresso reports carry names and identity numbers: a minority of rows here do too.
    named = rng.random(len(absences)) < 0.2
    absences["person_name"] = np.where(named, people["person_name"].to_numpy()[person], "")
    absences["national_id"] = np.where(named, np.array(people["national_id"])[person], "")
    absences["absence_pct"] = absences["absence_pct"].where(absences["absence_pct"] < 100)
    absences = absences.sort_values(["from_date", "resource_id"], kind="stable")
    return absences.reset_index(drop=True), spells


# --- NAV's diagnosis file -------------------------------------------------------------------


def _nav_diagnosis(
    spells: pd.DataFrame,
    jobs: pd.DataFrame,
    org: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """NAV's aggregates per quarter, scope and diagnosis group from the doctor-certified spells:
    lost workdays by working days x grade x position share, then off by a few per cent, as NAV's
    own figures always are; groups with fewer than 5 cases masked with '*'."""
    bounds = _quarter_starts(start, end)
    holidays = norwegian_public_holidays(start.year, end.year + 1)["holiday_date"].to_numpy(
        dtype="datetime64[D]"
    )
    doctor = spells[spells["code"] == "SYK"]
    sector_of_unit = dict(zip(org["unit_code"], org["sector_code"], strict=True))
    sector = jobs["unit_code"].map(sector_of_unit).to_numpy()[doctor["job"]]
    share = jobs["position_pct"].to_numpy()[doctor["job"]] / 100
    grade = doctor["pct"].to_numpy() / 100
    rows = []
    for q in range(len(bounds) - 1):
        starts = doctor["start"].to_numpy().astype("datetime64[D]")
        lo = np.maximum(starts, bounds[q])
        hi = np.minimum(doctor["end"].to_numpy().astype("datetime64[D]") + 1, bounds[q + 1])
        lost = np.busday_count(lo, np.maximum(lo, hi), holidays=holidays) * share * grade
        started = (starts >= bounds[q]) & (starts < bounds[q + 1])
        frame = pd.DataFrame(
            {
                "sector": sector,
                "group": doctor["diagnosis"].to_numpy(),
                "lost": lost,
                "case": started.astype(int),
            }
        )
        frame = frame[(frame["lost"] > 0) | (frame["case"] > 0)]
        quarter = pd.Period(pd.Timestamp(bounds[q]), freq="Q")
        label = f"{quarter.year}K{quarter.quarter}"
        for scope, part in [("Alle", frame), *frame.groupby("sector")]:
            sums = part.groupby("group")[["lost", "case"]].sum().reindex(DIAGNOSIS_SHARES)
            sums = sums.fillna(0)
            sums["lost"] *= rng.uniform(0.96, 1.04)
            for group, values in sums.iterrows():
                rows.append((label, scope, group, values["lost"], int(values["case"])))
            # NAV prints the total as its own row, shown even where small groups are masked.
            rows.append((label, scope, "I alt", sums["lost"].sum(), int(sums["case"].sum())))
    nav = pd.DataFrame(rows, columns=["Kvartal", "Sektor", "Diagnosegruppe", "lost", "cases"])
    masked = (nav["cases"] < 5) & (nav["Diagnosegruppe"] != "I alt")
    nav["Tapte dagsverk"] = nav["lost"].map(_nav_number)
    nav["Tilfeller"] = nav["cases"].map(lambda c: _nav_number(c, 0))
    nav.loc[masked & (nav["Sektor"] != "Alle"), ["Tapte dagsverk", "Tilfeller"]] = "*"
    return nav[["Kvartal", "Sektor", "Diagnosegruppe", "Tapte dagsverk", "Tilfeller"]]


def _nav_number(value: float, decimals: int = 1) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",")


# --- manual measurements ---------------------------------------------------------------------

# The plan's manual indicators (plan.yaml) as HR would type them into data/raw/manual/: the seed
# says the municipality starts employee surveys in the project's second year and user surveys the
# year after the sample ends, so brukerundersokelse has no measurement. Survey scores are on the
# 1-5 scale of the employee survey, once a year (typed for the year); shares of safety rounds and
# appraisal talks done, and reported deviations, quarter by quarter with the year's figure so far;
# amounts from the accounts (thousand kroner) for the year so far.
SURVEY_SCORES = {  # indicator: typical score
    "medarbeiderundersokelse_kommunen": 4.3,
    "medarbeiderundersokelse_hms": 4.0,
    "medarbeiderundersokelse_hov": 4.2,
    "medarbeiderundersokelse_faglig_utvikling": 4.1,
    "medarbeiderundersokelse_naermeste_leder": 4.5,
    "medarbeiderundersokelse_overordnet_ledelse": 3.8,
    "ledertilfredshet": 3.4,  # the lowest score among the managers
}
# indicator: (share done in the first quarter, in the last), rising as the routines settle
SHARES_DONE = {
    "vernerunder_gjennomfort": (72.0, 94.0),
    "medarbeidersamtaler_gjennomfort": (64.0, 88.0),
}
DEVIATIONS = ("avvik_antall", 28.0, 44.0)  # more reported as the reporting culture improves
AMOUNTS = {"tilretteleggingstilskudd": 45.0, "vikarutgifter_reduksjon": 110.0}  # per quarter


def _manual_measurements(start: dt.date, end: dt.date, rng: np.random.Generator) -> pd.DataFrame:
    """Indikator;Periode;Verdi;Kommentar rows for the sample's quarters (pipeline/manual.py)."""
    bounds = _quarter_starts(start, end)
    labels = [_quarter_label(b) for b in bounds[:-1]]
    quarters = pd.DataFrame({"period": labels, "year": [q[:4] for q in labels]})
    rise = np.linspace(0.0, 1.0, len(labels))
    rows = []
    for indicator, (low, high) in SHARES_DONE.items():
        share = np.clip(low + (high - low) * rise + rng.normal(0, 3, len(labels)), 0, 100)
        rows.append(_with_years(quarters, indicator, share.round(1), "mean", "Andel av planlagte"))
    deviations = rng.poisson(DEVIATIONS[1] + (DEVIATIONS[2] - DEVIATIONS[1]) * rise)
    rows.append(_with_years(quarters, DEVIATIONS[0], deviations, "sum", "Meldte avvik"))
    years = quarters["year"].drop_duplicates().tolist()
    for indicator, per_quarter in AMOUNTS.items():
        amounts = per_quarter * (1 + rng.normal(0, 0.25, len(labels)))
        totals = pd.Series(amounts).groupby(quarters["year"]).sum().round(0)
        so_far = _so_far(quarters, "Regnskapet")
        rows.append(_rows(indicator, years, totals[years].to_numpy(), so_far))
    surveyed = years[1:]
    for indicator, score in SURVEY_SCORES.items():
        scores = np.clip(score + rng.uniform(-0.15, 0.15, len(surveyed)), 1, 5).round(1)
        rows.append(_rows(indicator, surveyed, scores, "Medarbeiderundersøkelsen"))
    frame = pd.concat(rows, ignore_index=True)
    frame["Verdi"] = _format_numbers(frame["Verdi"].astype(float))
    return frame


def _with_years(quarters: pd.DataFrame, indicator: str, values, how: str, comment: str):
    """Quarter values and each year's figure so far (mean of shares, sum of counts)."""
    by_year = pd.Series(values, dtype=float).groupby(quarters["year"].to_numpy()).agg(how)
    year_values = by_year.round(1).to_numpy()
    return pd.concat(
        [
            _rows(indicator, quarters["period"], values, f"{comment} i kvartalet"),
            _rows(indicator, by_year.index, year_values, _so_far(quarters, comment)),
        ]
    )


def _so_far(quarters: pd.DataFrame, comment: str) -> list[str]:
    """'…, hele året' for a year whose four quarters are in the sample, '…, hittil i året' else."""
    counts = quarters.groupby("year").size()
    return [f"{comment}, {'hele året' if n == 4 else 'hittil i året'}" for n in counts]


def _rows(indicator: str, periods, values, comment: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"Indikator": indicator, "Periode": list(periods), "Verdi": values, "Kommentar": comment}
    )


# --- writing ----------------------------------------------------------------------------------


def _format_dates(values: pd.Series) -> pd.Series:
    dates = pd.to_datetime(values)
    return dates.dt.strftime("%d.%m.%Y").fillna("")


def _format_numbers(values: pd.Series) -> pd.Series:
    text = values.map(lambda v: "" if pd.isna(v) else f"{v:.2f}".rstrip("0").rstrip("."))
    return text.str.replace(".", ",", regex=False)


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
