"""The sample's organisation and people: sectors and units, names, identity numbers, employments."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

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
