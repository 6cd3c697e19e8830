"""The sample municipality generator: format of the default profile, determinism, realism."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from stdnum.no import fodselsnummer

from pipeline.manual import read_manual_measurements
from pipeline.plan import DEFAULT_PLAN, MANUAL_MEASURE, load_plan
from pipeline.profile import load_profile
from pipeline.publishing import run_info_frame
from pipeline.run_context import RunContext
from pipeline.sample_marker import SAMPLE_MARKER, is_sample_data
from sample.municipality import generate_municipality

PROFILE = load_profile()


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="cp1252")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("sample")
    generate_municipality(raw, employees=450)
    return raw


def test_files_have_exactly_the_profile_headers_in_cp1252(sample):
    for name, source in [
        ("organisasjon.csv", "organisation"),
        ("ansettelser.csv", "employments"),
        ("fravaer.csv", "absences"),
    ]:
        raw = (sample / "agresso" / name).read_bytes()
        header = raw.split(b"\r\n")[0].decode("cp1252").split(";")
        assert header == [c.header for c in PROFILE.source(source).columns.values()]
    assert "Fraværskode".encode("cp1252") in (sample / "agresso" / "fravaer.csv").read_bytes()
    assert b"\xf8" in (sample / "agresso" / "organisasjon.csv").read_bytes()  # ø in cp1252


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path):
    generate_municipality(tmp_path / "a", employees=120, seed=5)
    generate_municipality(tmp_path / "b", employees=120, seed=5)
    generate_municipality(tmp_path / "c", employees=120, seed=6)
    for name in ["agresso/ansettelser.csv", "agresso/fravaer.csv", "nav/nav_diagnose.csv"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "agresso/fravaer.csv").read_bytes() != (
        tmp_path / "c" / "agresso/fravaer.csv"
    ).read_bytes()


def test_municipality_looks_like_the_seed(sample):
    org = read(sample / "agresso" / "organisasjon.csv")
    assert set(org["Sektor"]) == {"10", "20", "30", "40"}
    assert 20 <= org["Arbeidssted"].nunique() <= 30
    mover = org[org["Arbeidssted"].duplicated(keep=False)]
    assert len(mover) == 2 and set(mover["Sektor"]) == {"20", "30"}
    assert set(mover["Til dato"]) == {"31.12.2013", ""}

    jobs = read(sample / "agresso" / "ansettelser.csv")
    assert jobs["Ressursnr"].nunique() == 450
    pct = jobs["Stillingsprosent"].str.replace(",", ".").astype(float)
    assert ((pct > 0) & (pct <= 100)).all() and (pct < 100).mean() > 0.3  # part-time is common
    per_person = jobs.groupby("Ressursnr").size()
    assert (per_person > 1).sum() > 20  # second jobs and position changes
    assert (jobs["Til dato"] != "").sum() > 30  # people leave
    assert jobs["Fødselsnr"].map(fodselsnummer.is_valid).all()


def test_absences_cover_every_kind_of_spell(sample):
    absences = read(sample / "agresso" / "fravaer.csv")
    assert set(absences["Fraværskode"]) <= set(PROFILE.absence_codes)
    assert set(absences["Fraværskode"]) == {"EGM", "SYK", "BARN", "FERIE", "PERM"}
    syk = absences[absences["Fraværskode"] == "SYK"]
    assert (syk["Fraværsprosent"] != "").mean() > 0.15  # graded sick leave
    days = (
        pd.to_datetime(syk["Til dato"], format="%d.%m.%Y")
        - pd.to_datetime(syk["Fra dato"], format="%d.%m.%Y")
    ).dt.days + 1
    assert days.min() <= 7 and days.max() > 100  # from days to many months
    egm = absences[absences["Fraværskode"] == "EGM"]
    egm_days = (
        pd.to_datetime(egm["Til dato"], format="%d.%m.%Y")
        - pd.to_datetime(egm["Fra dato"], format="%d.%m.%Y")
    ).dt.days + 1
    assert egm_days.between(1, 3).all()
    assert 0.3 < (absences["Arbeidssted"] != "").mean() < 0.7


def test_nav_file_has_groups_masked_cells_and_a_total_close_to_the_groups(sample):
    text = (sample / "nav" / "nav_diagnose.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    nav = pd.read_csv(sample / "nav" / "nav_diagnose.csv", sep=";", dtype=str, encoding="utf-8-sig")
    assert list(nav.columns) == [
        "Kvartal",
        "Sektor",
        "Diagnosegruppe",
        "Tapte dagsverk",
        "Tilfeller",
    ]
    assert (nav["Tapte dagsverk"] == "*").any()
    everyone = nav[(nav["Sektor"] == "Alle") & (nav["Kvartal"] == "2013K3")]
    lost = (
        everyone.set_index("Diagnosegruppe")["Tapte dagsverk"]
        .str.replace(" ", "")
        .str.replace(",", ".")
        .astype(float)
    )
    total = lost.pop("I alt")
    assert abs(lost.sum() - total) <= 1  # the nine groups add up to NAV's total row
    assert 0.25 < lost["L"] / total < 0.55  # musculoskeletal about 40 %


def test_rows_scale_with_employees(tmp_path):
    generate_municipality(tmp_path / "small", employees=200)
    generate_municipality(tmp_path / "large", employees=2000)
    small = len(read(tmp_path / "small" / "agresso" / "fravaer.csv"))
    large = len(read(tmp_path / "large" / "agresso" / "fravaer.csv"))
    assert 7 < large / small < 13


def test_manual_measurements_load_against_the_plan_for_every_manual_indicator_but_one(sample):
    plan = load_plan(DEFAULT_PLAN)
    measurements, findings = read_manual_measurements(sample / "manual", plan)
    assert findings == []
    manual = {i.id for i in plan.indicators if i.measure == MANUAL_MEASURE}
    # The seed: user surveys start the year after the sample ends.
    assert set(measurements["indicator_id"]) == manual - {"brukerundersokelse"}
    by_kind = measurements.set_index(["indicator_id", "period"])["value"].astype(float)
    rounds = by_kind["vernerunder_gjennomfort"]
    assert list(rounds.index) == [
        "2013K1", "2013K2", "2013K3", "2013K4", "2014K1", "2014K2", "2013", "2014"
    ]  # fmt: skip
    assert ((rounds > 50) & (rounds <= 100)).all()
    assert rounds["2013"] == pytest.approx(
        rounds[["2013K1", "2013K2", "2013K3", "2013K4"]].mean(), abs=0.06
    )
    deviations = by_kind["avvik_antall"]
    assert deviations["2014"] == deviations["2014K1"] + deviations["2014K2"]
    survey = by_kind["medarbeiderundersokelse_kommunen"]
    assert list(survey.index) == ["2014"] and 1 <= survey["2014"] <= 5


def test_sample_is_marked_as_sample_data(tmp_path):
    raw = tmp_path / "raw"
    assert not is_sample_data(raw)
    summary = generate_municipality(raw, employees=30)
    assert raw / SAMPLE_MARKER in summary.paths
    assert is_sample_data(raw)
    assert (
        (raw / SAMPLE_MARKER)
        .read_text(encoding="utf-8")
        .startswith("Eksempeldata – ikke virkelige tall.")
    )
    ctx = RunContext(raw_dir=raw, warehouse_dir=tmp_path, as_of=dt.date(2014, 6, 30))
    assert run_info_frame(ctx)["is_sample_data"].tolist() == [True]
    (raw / SAMPLE_MARKER).unlink()
    assert run_info_frame(ctx)["is_sample_data"].tolist() == [False]
