"""The sample's pay and accounts, for the cost of sick leave.

Årslønn: municipal pay levels by position code (2013 kroner), a little spread, some leaders and
specialists above 6G (511 470 kr in 2013-14), and a few employments exported without pay (unknown).

Accounts (regnskap): month by month per unit, substitute pay (art 020) for part of the sick days,
sick-pay refunds (art 710, negative as booked) two months after a long spell ends, and the wage
bill (art 010, which the cost figures do not read). The refunds due to be booked in the third
quarter of 2013 at the nursing home are never booked: the demo's refund gap. The refunds are the
generator's rough estimate (spell days beyond the employer period, five days a week), not the
pipeline's rules, so booked and expected differ a little, as they do in a real ledger.

Drawn with its own random stream, so the other sample files stay as they were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Full-time annual pay by position code, 2013 (KS-area levels).
PAY_BY_POSITION = {
    "7040": 430_000,  # sykepleier
    "7174": 385_000,  # fagarbeider / helsefagarbeider
    "6515": 560_000,  # rådgiver
    "7523": 480_000,  # lærer
    "6573": 455_000,  # konsulent / saksbehandler
    "7950": 405_000,  # renholder / driftsoperatør
}
SIX_G = 6 * 85_245
SUBSTITUTE_SHARE = 0.55  # of the sick days a substitute is paid for
# The generator's refund estimate counts a doctor-certified spell alone; NAV also counts the
# self-certified days before it and chains spells, so it refunds more. Calibrated on the default
# sample: a normal year's booked refunds come to about the expected ones.
REFUND_CALIBRATION = 1.2
NEVER_BOOKED_UNIT_NAME = "Andebu sykehjem"
NEVER_BOOKED_MONTHS = ("2013-07", "2013-08", "2013-09")


def annual_pay(jobs: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Årslønn per employment: the position's level with some spread, about 6 % above 6G, and 2 %
    missing (unknown pay)."""
    n = len(jobs)
    pay = jobs["position_code"].map(PAY_BY_POSITION).to_numpy(float) * rng.lognormal(0, 0.07, n)
    above_6g = rng.random(n) < 0.06
    pay[above_6g] = rng.uniform(560_000, 850_000, above_6g.sum())
    pay = np.round(pay, -2)
    return np.where(rng.random(n) < 0.02, np.nan, pay)


def accounts(
    spells: pd.DataFrame,
    jobs: pd.DataFrame,
    org: pd.DataFrame,
    start: np.datetime64,
    end: np.datetime64,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The accounts export (Periode, Ansvar, Art, Beløp) as Agresso's ledger would give it."""
    sick = spells[spells["code"].isin(["SYK", "EGM"])]
    job = sick["job"].to_numpy()
    share = jobs["position_pct"].to_numpy(float)[job] / 100
    pay = np.nan_to_num(jobs["annual_pay"].to_numpy(float)[job], nan=430_000)
    grade = sick["pct"].to_numpy(float) / 100
    starts = sick["start"].to_numpy().astype("datetime64[D]")
    ends = sick["end"].to_numpy().astype("datetime64[D]")
    days = (ends - starts).astype(int) + 1
    unit = jobs["unit_code"].to_numpy()[job]
    daily = share * grade * pay / 260
    substitute = pd.DataFrame(
        {
            "month": starts + ((ends - starts) // 2),
            "unit": unit,
            "art": "020",
            "amount": days * 5 / 7 * daily * SUBSTITUTE_SHARE * rng.uniform(0.7, 1.3, len(sick)),
        }
    )
    long_doctor = (sick["code"].to_numpy() == "SYK") & (days > 16)
    refund_ratio = np.minimum(1, SIX_G / (pay * share))
    refunds = pd.DataFrame(
        {
            "month": ends + np.timedelta64(61, "D"),
            "unit": unit,
            "art": "710",
            "amount": -(days - 16) * 5 / 7 * daily * refund_ratio * REFUND_CALIBRATION,
        }
    )[long_doctor]
    wages = _wage_bill(jobs, org, start, end)
    rows = pd.concat([substitute, refunds], ignore_index=True)
    rows["month"] = pd.to_datetime(rows["month"]).dt.strftime("%Y-%m")
    rows = pd.concat([rows, _refunds_from_before(rows, start)], ignore_index=True)
    rows = pd.concat([rows, wages], ignore_index=True)
    months = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq="M").strftime("%Y-%m")
    rows = rows[rows["month"].isin(months)]
    nursing_home = org.loc[org["unit_name"] == NEVER_BOOKED_UNIT_NAME, "unit_code"]
    never = (
        (rows["art"] == "710")
        & rows["unit"].isin(nursing_home)
        & rows["month"].isin(NEVER_BOOKED_MONTHS)
    )
    ledger = (
        rows[~never]
        .groupby(["month", "unit", "art"], as_index=False)["amount"]
        .sum()
        .sort_values(["month", "unit", "art"], kind="stable")
    )
    return pd.DataFrame(
        {
            "Periode": ledger["month"].to_numpy(),
            "Ansvar": ledger["unit"].to_numpy(),
            "Art": ledger["art"].to_numpy(),
            "Beløp": [f"{v:.2f}".replace(".", ",") for v in ledger["amount"]],
        }
    )


def _refunds_from_before(rows: pd.DataFrame, start) -> pd.DataFrame:
    """The first two months also book refunds for sick days before the absence export begins
    (a unit's average month), as a real ledger does."""
    refunds = rows[rows["art"] == "710"]
    months = refunds["month"].nunique() or 1
    average = refunds.groupby("unit")["amount"].sum() / months
    first = pd.period_range(pd.Timestamp(start), periods=2, freq="M").strftime("%Y-%m")
    return pd.DataFrame(
        {
            "month": np.repeat(first, len(average)),
            "unit": np.tile(average.index.to_numpy(), len(first)),
            "art": "710",
            "amount": np.tile(average.to_numpy(), len(first)),
        }
    )


def _wage_bill(jobs: pd.DataFrame, org: pd.DataFrame, start, end) -> pd.DataFrame:
    """Art 010 (fastlønn) per unit and month: what the cost figures must leave out."""
    months = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq="M")
    monthly = (
        (jobs["position_pct"] / 100 * jobs["annual_pay"].fillna(430_000) / 12)
        .groupby(jobs["unit_code"])
        .sum()
    )
    monthly = monthly[monthly.index.isin(org["unit_code"])]
    return pd.DataFrame(
        {
            "month": np.repeat(months.strftime("%Y-%m"), len(monthly)),
            "unit": np.tile(monthly.index.to_numpy(), len(months)),
            "art": "010",
            "amount": np.tile(monthly.to_numpy(), len(months)),
        }
    )
