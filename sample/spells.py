"""The sample's sick-leave spells (a Poisson process per person and quarter, calibrated to the
seed's figures) and NAV's diagnosis file drawn from them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.calendar import norwegian_public_holidays

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
