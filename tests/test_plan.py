"""The gevinstplan file: the seed's plan loads as written, and every mistake HR can make comes
back with the file, the line and the field in Norwegian."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.plan import DEFAULT_PLAN, PlanError, Scope, load_plan

MINI_PLAN = """\
name: Testplan
municipality: Testkommune
target_groups:
  - id: alle
    name: Alle ansatte
    benefits:
      - id: ned
        name: Sykefraværet har gått ned
        type: indirect_budget
        owner: Rådmann
        indicators:
          - id: sykefravaer_hov
            name: Sykefravær HOV
            measure: sick_leave_pct
            scope: {sector: "20"}
            direction: max
            unit: prosent
            targets:
              2015: 7.0
            data_source: Agresso
            owner: Kommunalsjef
          - id: psykiske
            name: Psykiske lidelser
            measure: diagnosis_pct
            diagnosis_group: P
            scope: municipality
            direction: max
            unit: prosent
            targets:
              2014:
              2015: 0.7
            data_source: NAV
            owner: Organisasjonssjef
"""


def write_plan(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> PlanError:
    with pytest.raises(PlanError) as caught:
        load_plan(write_plan(tmp_path, text))
    return caught.value


# --- the seed's plan ---------------------------------------------------------------------------


def test_seed_plan_loads_with_all_its_indicators():
    plan = load_plan(DEFAULT_PLAN)
    assert plan.municipality == "Andebu kommune"
    assert len(plan.indicators) == 21  # with the cost reduction from 2013 (in kroner)
    assert len(plan.benefits) == 10
    assert [g.name for g in plan.target_groups] == [
        "Ansatte totalt i hele kommunen",
        "Ansatte sektor Helse, omsorg og velferd",
        "Ansatte sektor Oppvekst og kultur",
        "Ansatte sektor Teknisk, landbruk og næring",
        "Ledere",
        "Brukere og innbyggere",
    ]
    assert {b.type for b in plan.benefits} == {"direct_budget", "indirect_budget", "qualitative"}
    # the substitute pay is measured from the accounts (substitute_cost_kr)
    assert sum(i.measure == "manual" for i in plan.indicators) == 12


def test_seed_plan_targets_are_the_presentations():
    plan = load_plan(DEFAULT_PLAN)
    municipality = plan.indicator("sykefravaer_kommunen")
    assert municipality.scope == Scope("municipality", "Alle")
    assert municipality.direction == "max"
    assert [(t.year, t.value) for t in municipality.targets] == [
        (2013, Decimal("7.5")),
        (2014, Decimal("7.0")),
        (2015, Decimal("6.5")),
    ]
    psychological = plan.indicator("sykefravaer_psykiske")
    assert (psychological.measure, psychological.diagnosis_group) == ("diagnosis_pct", "P")
    assert psychological.target_for(2015) == Decimal("0.7")
    assert plan.indicator("sykefravaer_gravide").diagnosis_group == "W"
    assert plan.indicator("sykefravaer_gravide").target_for(2015) == Decimal("0.1")
    assert plan.indicator("sykefravaer_muskel_skjelett").diagnosis_group == "L"
    assert plan.indicator("sykefravaer_muskel_skjelett").target_for(2015) == Decimal("1.0")
    hov = plan.indicator("sykefravaer_hov")
    assert hov.scope == Scope("sector", "20")
    assert (hov.direction, hov.target_for(2015), hov.target_for(2014)) == (
        "max",
        Decimal("7.0"),
        None,
    )
    # "Gjennomførte vernerunder er 100 %"; the survey score target is still "…" in the seed.
    assert plan.indicator("vernerunder_gjennomfort").target_for(2015) == Decimal("100")
    survey = plan.indicator("medarbeiderundersokelse_kommunen")
    assert (survey.measure, survey.direction, survey.unit) == ("manual", "min", "poeng")
    assert [(t.year, t.value) for t in survey.targets] == [(2015, None)]


def test_seed_plan_indicator_ids_are_unique_and_owned():
    plan = load_plan(DEFAULT_PLAN)
    ids = [i.id for i in plan.indicators]
    assert len(set(ids)) == len(ids)
    assert all(i.owner and i.data_source for i in plan.indicators)


# --- mistakes ---------------------------------------------------------------------------------


def test_mini_plan_loads(tmp_path):
    plan = load_plan(write_plan(tmp_path, MINI_PLAN))
    assert [i.id for i in plan.indicators] == ["sykefravaer_hov", "psykiske"]
    assert plan.indicator("psykiske").target_for(2014) is None
    assert plan.indicator("psykiske").line == 22


def test_bad_direction_names_line_indicator_and_field(tmp_path):
    error = error_of(tmp_path, MINI_PLAN.replace("direction: max", "direction: maks", 1))
    assert str(error) == (
        "plan.yaml linje 16, indikator 'sykefravaer_hov', felt 'direction': "
        "«maks» er ikke gyldig; bruk max eller min."
    )
    assert (error.issues[0].line, error.issues[0].field) == (16, "direction")


def test_unknown_measure_lists_the_valid_ones(tmp_path):
    error = error_of(tmp_path, MINI_PLAN.replace("measure: sick_leave_pct", "measure: fravaer"))
    message = str(error)
    assert message.startswith(
        "plan.yaml linje 14, indikator 'sykefravaer_hov', felt 'measure': «fravaer» er ikke gyldig;"
    )
    assert "sick_leave_pct" in message and "manual" in message


def test_duplicate_indicator_id_points_at_the_second_one(tmp_path):
    error = error_of(tmp_path, MINI_PLAN.replace("id: psykiske", "id: sykefravaer_hov"))
    assert str(error) == (
        "plan.yaml linje 22, indikator 'sykefravaer_hov', felt 'id': id-en «sykefravaer_hov» "
        "er allerede brukt på linje 12; gi indikatoren en ny, unik id."
    )


def test_bad_yaml_gives_the_line(tmp_path):
    broken = MINI_PLAN.replace("            unit: prosent\n", "          unit: prosent:\n", 1)
    error = error_of(tmp_path, broken)
    assert error.issues[0].line == 17
    assert str(error).startswith("plan.yaml linje 17: ")


def test_tab_indent_is_named(tmp_path):
    error = error_of(tmp_path, MINI_PLAN.replace("            unit: prosent", "\tunit: prosent", 1))
    assert (
        str(error) == "plan.yaml linje 17: linjen har et tabulatortegn; bruk mellomrom til innrykk."
    )


def test_decimal_comma_in_target_is_explained(tmp_path):
    error = error_of(tmp_path, MINI_PLAN.replace("2015: 0.7", "2015: 0,7"))
    assert str(error).startswith(
        "plan.yaml linje 31, indikator 'psykiske', felt 'targets.2015': «0,7» har feil form. "
        "Skriv målet som et tall med punktum som desimaltegn (6.5)"
    )


def test_target_year_must_have_four_digits(tmp_path):
    error = error_of(tmp_path, MINI_PLAN.replace("2015: 0.7", "15: 0.7"))
    assert str(error) == (
        "plan.yaml linje 31, indikator 'psykiske', felt 'targets.15': «15» er ikke et årstall; "
        "skriv året med fire sifre, f.eks. 2015."
    )


def test_diagnosis_group_only_with_diagnosis_measure(tmp_path):
    text = MINI_PLAN.replace(
        "            measure: sick_leave_pct\n",
        "            measure: sick_leave_pct\n            diagnosis_group: P\n",
    )
    error = error_of(tmp_path, text)
    assert str(error) == (
        "plan.yaml linje 15, indikator 'sykefravaer_hov', felt 'diagnosis_group': diagnosegruppe "
        "passer bare med measure: diagnosis_pct; fjern linjen eller endre measure "
        "(nå «sick_leave_pct»)."
    )


def test_diagnosis_measure_needs_a_group(tmp_path):
    error = error_of(tmp_path, MINI_PLAN.replace("            diagnosis_group: P\n", ""))
    assert str(error).startswith(
        "plan.yaml linje 22, indikator 'psykiske', felt 'diagnosis_group': feltet mangler; "
        "legg til «diagnosis_group:»."
    )


def test_misspelt_field_is_unknown_and_the_real_one_missing(tmp_path):
    error = error_of(tmp_path, MINI_PLAN.replace("data_source: NAV", "datakilde: NAV"))
    assert [(i.line, i.field) for i in error.issues] == [
        (22, "data_source"),
        (32, "datakilde"),
    ]
    assert "feltet er ukjent; sjekk stavemåten" in error.issues[1].message


def test_sector_code_without_quotes_is_explained(tmp_path):
    error = error_of(tmp_path, MINI_PLAN.replace('{sector: "20"}', "{sector: 20}"))
    assert str(error).startswith("plan.yaml linje 15, indikator 'sykefravaer_hov', felt 'scope': ")
    assert "med koden i anførselstegn" in str(error)


def test_duplicate_key_is_named(tmp_path):
    text = MINI_PLAN.replace("direction: max\n", "direction: max\n            direction: min\n", 1)
    assert str(error_of(tmp_path, text)) == (
        "plan.yaml linje 17: feltet 'direction' står to ganger i samme blokk; slett det ene."
    )


def test_missing_plan_file(tmp_path):
    with pytest.raises(PlanError, match="Fant ikke gevinstplanen"):
        load_plan(tmp_path / "plan.yaml")
