"""The region: the region file, the region night's sums over what municipalities publish, the
comparison (NAV's ±10 % rule, rank, trend, national figure), the funnel and the report.

The tiny region is checkable by hand. Two municipalities publish one quarter each year:

- A (0001): whole municipality 10 persons, 630 possible and 63 lost workdays in 2014K1 (10 %),
  31.5 lost in 2013K1 (5 %); sector 20 (-> helse) 6 persons, 378 / 50; sector 30 (-> oppvekst)
  masked by A itself (its figures are not published).
- B (0002): whole municipality 20 persons, 1260 / 63 in 2014K1 (5 %), 126 lost in 2013K1 (10 %);
  sector 2 (-> helse) 12 persons, 756 / 45.36; sector 3 (-> oppvekst) 8 persons, 504 / 17.64.

Region 2014K1: 30 persons, 1890 / 126 = 6.666… -> 6.7 %. Helse: 18 persons, 1134 / 95.36 =
8.409… -> 8.4 %. Oppvekst: only B's part can be added (A's is masked): 504 / 17.64 = 3.5 %, one
part missing. A against the region: (63/630) / (126/1890) = 150 % (higher, red); B 75 % (lower,
green); B ranks 1, A 2; A's trend +5.0 points, B's -5.0. SSB's national figure: 6.5 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipeline.region.combine import PERIODS_PARQUET, build_region_database
from pipeline.region.config import RegionError, load_region, night_environment
from pipeline.region.report import Z_95, Z_998, funnel_limits, funnel_position, read_report, render

AS_OF = dt.date(2014, 3, 31)

REGION_YAML = """\
name: Testregion
output: region
mask_threshold: {threshold}
concurrency: 2
sectors:
  helse: Helse og omsorg
  oppvekst: Oppvekst og kultur
municipalities:
  - name: A-kommune
    number: "0001"
    raw: a/raw
    key_file: keys/a.key
    output: a
    sectors:
      "20": helse
      "30": oppvekst
  - name: B-kommune
    number: "0002"
    raw: b/raw
    key_file: keys/b.key
    output: b
    sectors:
      "2": helse
      "3": oppvekst
  - name: C-kommune
    number: "0003"
    raw: c/raw
    key_file: keys/c.key
    output: c
    sectors:
      "1": helse
"""

# (quarter, level, code, name, persons, possible, lost, masked)
A_ROWS = [
    ("2014K1", "municipality", "Alle", "A-kommune", 10, "630", "63", False),
    ("2014K1", "sector", "20", "Helse", 6, "378", "50", False),
    ("2014K1", "sector", "30", "Skole", None, None, None, True),
    ("2013K1", "municipality", "Alle", "A-kommune", 10, "630", "31.5", False),
]
B_ROWS = [
    ("2014K1", "municipality", "Alle", "B-kommune", 20, "1260", "63", False),
    ("2014K1", "sector", "2", "Pleie og omsorg", 12, "756", "45.36", False),
    ("2014K1", "sector", "3", "Oppvekst", 8, "504", "17.64", False),
    ("2013K1", "municipality", "Alle", "B-kommune", 20, "1260", "126", False),
]


def publish_municipality(folder: Path, rows, national: dict[str, float] | None = None) -> None:
    """What a municipality's night publishes, as far as the region reads it: the periods mart as
    Parquet in its reports and the run record (and SSB's figure) in analytics.duckdb."""
    parquet = folder / "reports" / "parquet"
    parquet.mkdir(parents=True)
    (folder / "warehouse").mkdir()
    con = duckdb.connect(str(folder / "warehouse" / "analytics.duckdb"))
    try:
        con.execute(
            "CREATE TABLE run_info AS SELECT TIMESTAMP '2014-03-31' AS as_of, "
            "true AS is_sample_data"
        )
        con.execute(
            "CREATE TABLE reference_series (source VARCHAR, series VARCHAR, quarter VARCHAR, "
            "scope VARCHAR, sex VARCHAR, value DOUBLE)"
        )
        for quarter, value in (national or {}).items():
            con.execute(
                "INSERT INTO reference_series VALUES ('SSB 12439', 'sick_leave_pct', ?, "
                "'Norge', 'Begge kjønn', ?)",
                [quarter, value],
            )
        con.execute(
            "CREATE TABLE p (period VARCHAR, scope_level VARCHAR, scope_code VARCHAR, "
            "scope_name VARCHAR, persons DECIMAL(38, 0), possible_workdays DECIMAL(20, 8), "
            "lost_workdays DECIMAL(20, 8), is_masked BOOLEAN)"
        )
        con.executemany("INSERT INTO p VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute(
            "COPY (SELECT 'quarter' AS period_type, period, period AS first_quarter, "
            "period AS last_quarter, true AS is_complete, scope_level, scope_code, scope_name, "
            "persons, possible_workdays, lost_workdays, "
            "lost_workdays / 10 AS lost_workdays_self, lost_workdays - lost_workdays / 10 "
            "AS lost_workdays_doctor, lost_workdays / 5 AS lost_workdays_short, "
            "lost_workdays - lost_workdays / 5 AS lost_workdays_long, "
            "CAST(0 AS DECIMAL(20, 8)) AS lost_workdays_graded, is_masked FROM p) "
            f"TO '{parquet / PERIODS_PARQUET}' (FORMAT parquet)"
        )
    finally:
        con.close()


def tiny_region(tmp_path: Path, threshold: int = 5):
    path = tmp_path / "region.yaml"
    path.write_text(REGION_YAML.format(threshold=threshold), encoding="utf-8")
    publish_municipality(tmp_path / "a", A_ROWS, national={"2014K1": 6.5, "2013K1": 6.3})
    publish_municipality(tmp_path / "b", B_ROWS)
    return load_region(path)


def rows_of(database: Path, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


# --- the region file ---------------------------------------------------------------------------


def test_region_file_paths_are_relative_to_it_and_defaults_are_filled(tmp_path):
    region = tiny_region(tmp_path)
    assert [m.number for m in region.municipalities] == ["0001", "0002", "0003"]
    a = region.municipality("0001")
    assert a.raw_dir == (tmp_path / "a" / "raw").resolve()
    assert a.warehouse_dir == (tmp_path / "a" / "warehouse").resolve()
    assert a.key_file == (tmp_path / "keys" / "a.key").resolve()
    assert a.sectors == {"20": "helse", "30": "oppvekst"}
    assert a.mask_threshold == 5 and region.concurrency == 2
    assert region.work_pool == "sickleave-region"
    assert region.output_dir == (tmp_path / "region").resolve()


def test_each_night_gets_its_own_key_and_never_the_workers_key(tmp_path):
    region = tiny_region(tmp_path)
    environments = [night_environment(m) for m in region.municipalities]
    keys = [env["SICKLEAVE_KEY_FILE"] for env in environments]
    assert len(set(keys)) == 3
    assert all(env["SICKLEAVE_PSEUDONYM_KEY"] == "" for env in environments)
    # No plan given: the municipality's own folder, never the project's plan.yaml.
    assert environments[0]["SICKLEAVE_PLAN_PATH"] == str((tmp_path / "a" / "plan.yaml").resolve())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('number: "0002"', 'number: "02"'),
         "region.yaml linje 18, kommune 'B-kommune', felt 'number': «02» har feil form. "
         "Kommunenummeret har fire sifre"),
        (("key_file: keys/b.key", "key_file: keys/a.key"),
         "region.yaml linje 20, kommune 'B-kommune', felt 'key_file': nøkkelfilen (hver kommune "
         "har sin egen nøkkel) «keys/a.key» er allerede brukt på linje 12"),
        (('"3": oppvekst', '"3": skole'),
         "region.yaml linje 24, kommune 'B-kommune', felt 'sectors.3': «skole» er ingen felles "
         "sektor; bruk en av helse, oppvekst."),
        (("    output: c\n", ""),
         "region.yaml linje 25, kommune 'C-kommune', felt 'output': feltet mangler; legg til "
         "«output:»."),
        (("concurrency: 2", "concurency: 2"),
         "region.yaml linje 4, felt 'concurency': feltet er ukjent"),
    ],
)
def test_region_file_errors_name_line_municipality_and_field(tmp_path, change, expected):
    path = tmp_path / "region.yaml"
    path.write_text(REGION_YAML.format(threshold=5).replace(*change), encoding="utf-8")
    with pytest.raises(RegionError) as caught:
        load_region(path)
    assert str(caught.value).startswith(expected), str(caught.value)


# --- region.duckdb ----------------------------------------------------------------------------


def test_region_sums_published_workdays_and_recomputes_rates(tmp_path):
    region = tiny_region(tmp_path)
    build = build_region_database(region, AS_OF)
    assert build.included == ["A-kommune", "B-kommune"]
    assert [(p.municipality.number, p.status) for p in build.left_out] == [("0003", "missing")]
    rows = rows_of(
        build.path,
        "SELECT scope_level, coalesce(municipality_number, '-'), coalesce(sector_code, '-'), "
        "parts, parts_masked, persons, possible_workdays, lost_workdays, sick_leave_pct, "
        "is_masked FROM region_sick_leave_quarterly WHERE quarter = '2014K1' ORDER BY 1, 2, 3",
    )
    D = Decimal
    assert rows == [
        ("municipality", "0001", "-", 1, 0, 10, D("630"), D("63"), D("10.0"), False),
        ("municipality", "0002", "-", 1, 0, 20, D("1260"), D("63"), D("5.0"), False),
        ("municipality_sector", "0001", "helse", 1, 0, 6, D("378"), D("50"), D("13.2"), False),
        ("municipality_sector", "0001", "oppvekst", 1, 1, None, None, None, None, True),
        ("municipality_sector", "0002", "helse", 1, 0, 12, D("756"), D("45.36"), D("6.0"), False),
        ("municipality_sector", "0002", "oppvekst", 1, 0, 8, D("504"), D("17.64"), D("3.5"),
         False),
        ("region", "-", "-", 2, 0, 30, D("1890"), D("126"), D("6.7"), False),
        ("sector", "-", "helse", 2, 0, 18, D("1134"), D("95.36"), D("8.4"), False),
        ("sector", "-", "oppvekst", 2, 1, 8, D("504"), D("17.64"), D("3.5"), False),
    ]


def test_masking_is_applied_again_on_the_combined_persons(tmp_path):
    region = tiny_region(tmp_path, threshold=10)
    build = build_region_database(region, AS_OF)
    masked = rows_of(
        build.path,
        "SELECT scope_level, coalesce(municipality_number, '-'), sector_code FROM "
        "region_sick_leave_quarterly WHERE quarter = '2014K1' AND is_masked ORDER BY 1, 2, 3",
    )
    # A's helse (6 persons), B's oppvekst (8), the region's oppvekst (8); A's oppvekst was
    # masked by A already. The region's helse has 18 persons and stays.
    assert masked == [
        ("municipality_sector", "0001", "helse"),
        ("municipality_sector", "0001", "oppvekst"),
        ("municipality_sector", "0002", "oppvekst"),
        ("sector", "-", "oppvekst"),
    ]
    assert rows_of(
        build.path,
        "SELECT count(*) FROM region_sick_leave_periods WHERE is_masked AND (persons IS NOT NULL "
        "OR lost_workdays IS NOT NULL OR possible_workdays IS NOT NULL OR sick_leave_pct "
        "IS NOT NULL OR lost_workdays_self IS NOT NULL)",
    ) == [(0,)]


def test_comparison_applies_navs_ten_percent_rule_ranks_and_trends(tmp_path):
    build = build_region_database(tiny_region(tmp_path), AS_OF)
    rows = rows_of(
        build.path,
        "SELECT municipality_number, sick_leave_pct, reference_pct, ratio_pct, nav_signal, rank, "
        "ranked, trend_pp, national_pct FROM region_comparison WHERE period = '2014K1' "
        "AND scope_level = 'municipality' ORDER BY rank",
    )
    D = Decimal
    assert rows == [
        ("0002", D("5.0"), D("6.7"), D("75.0"), "lower", 1, 2, D("-5.0"), 6.5),
        ("0001", D("10.0"), D("6.7"), D("150.0"), "higher", 2, 2, D("5.0"), 6.5),
    ]
    helse = rows_of(
        build.path,
        "SELECT municipality_number, ratio_pct, nav_signal, rank FROM region_comparison "
        "WHERE period = '2014K1' AND scope_level = 'municipality_sector' AND sector_code = 'helse' "
        "ORDER BY rank",
    )
    # 45.36 / 756 and 50 / 378 against the region's helse, 95.36 / 1134 = 0.084092: 71.4 % and
    # 0.132275 / 0.084092 = 157.3 %.
    assert helse == [("0002", D("71.4"), "lower", 1), ("0001", D("157.3"), "higher", 2)]


def test_a_failed_municipality_is_left_out_and_listed(tmp_path):
    build = build_region_database(tiny_region(tmp_path), AS_OF, failed=frozenset({"0002"}))
    assert build.included == ["A-kommune"]
    assert rows_of(
        build.path,
        "SELECT municipality_number, is_included, status FROM region_municipalities ORDER BY 1",
    ) == [("0001", True, "included"), ("0002", False, "failed"), ("0003", False, "missing")]
    assert rows_of(
        build.path,
        "SELECT persons, lost_workdays FROM region_sick_leave_quarterly "
        "WHERE quarter = '2014K1' AND scope_level = 'region'",
    ) == [(10, Decimal("63"))]


def test_every_region_table_and_column_has_a_comment_and_no_person_level_table(tmp_path):
    build = build_region_database(tiny_region(tmp_path), AS_OF)
    tables = rows_of(build.path, "SELECT table_name, comment FROM duckdb_tables()")
    assert {t for t, _ in tables} == {
        "region_sick_leave_periods", "region_sick_leave_quarterly", "region_comparison",
        "region_municipalities", "region_sectors", "region_national", "region_run_info",
    }
    assert all(comment for _, comment in tables)
    columns = rows_of(
        build.path,
        "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE NOT internal",
    )
    assert [c for c in columns if not c[2]] == []
    assert not [c for c in columns if "pseudonym" in c[1] or "person_id" in c[1]]


# --- the report ---------------------------------------------------------------------------------


def test_funnel_limits_by_hand():
    # p = 10 %, n = 100: 1.96 x √(0.1 x 0.9 / 100) = 1.96 x 0.03 = 0.0588.
    low, high = funnel_limits(10.0, 100, Z_95)
    assert (round(low, 2), round(high, 2)) == (4.12, 15.88)
    low, high = funnel_limits(10.0, 100, Z_998)  # 3.09 x 0.03 = 0.0927
    assert (round(low, 2), round(high, 2)) == (0.73, 19.27)
    assert funnel_position(15.0, 10.0, 100) == "inside"
    assert funnel_position(17.0, 10.0, 100) == "outside_95"
    assert funnel_position(20.0, 10.0, 100) == "outside_998"
    # The same 17 % in a group of 1 000 is far outside: size decides what is noise.
    assert funnel_position(17.0, 10.0, 1000) == "outside_998"


def test_report_shows_each_municipality_against_the_region_in_norwegian(tmp_path):
    build = build_region_database(tiny_region(tmp_path), AS_OF)
    page = render(read_report(build.path))
    assert "Sykefravær i Testregion – 1. kv. 2014" in page
    assert "Eksempeldata – ikke virkelige tall" in page
    assert "Regionen: <strong>6,7 %</strong>" in page
    assert "Hele landet (SSB tabell 12439): 6,5 %" in page
    assert ('<td>A-kommune</td><td>10</td><td>10,0 %</td><td>150,0 %</td>'
            '<td class="higher">Høyere</td><td>2 av 2</td><td>+5,0</td>') in page
    assert ('<td>B-kommune</td><td>20</td><td>5,0 %</td><td>75,0 %</td>'
            '<td class="lower">Lavere</td><td>1 av 2</td><td>−5,0</td>') in page
    assert "<td>C-kommune</td><td>0003</td><td>ingen publiserte tall</td>" in page
    assert page.count("<svg") == 3  # the municipalities' funnel and one per common sector (2)
    assert "<script" not in page


def test_navs_rule_is_strictly_more_than_ten_percent_either_way(tmp_path):
    """A at 11.0 % and B at 9.0 % against a region at 10.0 %: exactly 1.1 and 0.9 times the
    region is still «about the same» (NAV: more than 1.1 times is higher, less than 0.9 lower)."""
    path = tmp_path / "region.yaml"
    path.write_text(REGION_YAML.format(threshold=5), encoding="utf-8")
    publish_municipality(
        tmp_path / "a", [("2014K1", "municipality", "Alle", "A", 10, "100", "11", False)]
    )
    publish_municipality(
        tmp_path / "b", [("2014K1", "municipality", "Alle", "B", 10, "100", "9", False)]
    )
    build = build_region_database(load_region(path), AS_OF)
    assert rows_of(
        build.path,
        "SELECT municipality_number, sick_leave_pct, reference_pct, nav_signal "
        "FROM region_comparison WHERE scope_level = 'municipality' ORDER BY 1",
    ) == [("0001", Decimal("11.0"), Decimal("10.0"), "same"),
          ("0002", Decimal("9.0"), Decimal("10.0"), "same")]


def test_region_benchmark_extrapolates_a_fitted_night_to_the_country():
    from benchmarks.region import extrapolate

    # 10 s for 100 employees, 12 s for 200: 8 s + 20 s per 1 000 employees; 357 x 8 s + 0.02 s
    # x 500 000 = 12 856 s of nights, 6 428 s on two workers.
    assert extrapolate([(100, 10.0), (200, 12.0)], workers=2) == {
        "seconds_per_night": 8.0,
        "seconds_per_1000_employees": 20.0,
        "country_night_seconds": 12856.0,
        "country_wall_seconds_with_workers": 6428.0,
    }
    # Noise that makes bigger look faster is not believed: every night the mean.
    assert extrapolate([(100, 12.0), (200, 10.0)], workers=1)["seconds_per_night"] == 11.0


@pytest.mark.parametrize("command", ["region-generate", "region-run", "region-build", "serve"])
def test_region_commands_have_norwegian_help(command, capsys):
    from tests.test_cli import ENGLISH, main_in_process

    code, out, err = main_in_process([command, "--help"], capsys)
    assert code == 0 and err == ""
    assert not [word for word in ENGLISH if word in out]
    for line in out.splitlines():
        if line.strip() and not line.startswith("Bruk: "):
            assert line.rstrip()[-1] in ".:)»", line


def test_a_region_file_mistake_is_one_sentence_and_exit_code_2(tmp_path, capsys):
    from tests.test_cli import main_in_process

    path = tmp_path / "region.yaml"
    path.write_text(REGION_YAML.format(threshold=5).replace('"0002"', '"02"'), encoding="utf-8")
    code, out, err = main_in_process(["region-build", "--region", str(path)], capsys)
    assert code == 2 and out == ""
    assert err.strip().startswith("Feil: region.yaml linje 18, kommune 'B-kommune', felt 'number'")
    assert "Traceback" not in err


def test_a_region_where_nobody_published_still_builds_and_says_so(tmp_path):
    path = tmp_path / "region.yaml"
    path.write_text(REGION_YAML.format(threshold=5), encoding="utf-8")
    region = load_region(path)
    build = build_region_database(region, AS_OF, failed=frozenset({"0001"}))
    assert build.included == []
    assert rows_of(build.path, "SELECT count(*) FROM region_sick_leave_periods") == [(0,)]
    from pipeline.region.report import write_region_report

    report = write_region_report(build.path, region.output_dir)
    assert report.name == "regionrapport_2014K1.html"  # the as-of date's quarter
    page = report.read_text(encoding="utf-8")
    assert "<td>A-kommune</td><td>0001</td><td>nattkjøringen feilet</td>" in page
    assert "<td>B-kommune</td><td>0002</td><td>ingen publiserte tall</td>" in page


def test_the_sample_region_codes_sectors_its_own_way_and_maps_every_one(tmp_path):
    import csv
    import io

    from sample.region import generate_region

    region = load_region(generate_region(tmp_path, preset="sample", scale=0.05))
    assert [m.name for m in region.municipalities] == ["Hof", "Andebu", "Stokke"]
    sectors = {}
    for m in region.municipalities:
        text = (m.raw_dir / "agresso" / "organisasjon.csv").read_bytes().decode("cp1252")
        rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
        sectors[m.name] = {(r["Sektor"], r["Sektornavn"]) for r in rows}
        assert {code for code, _ in sectors[m.name]} <= set(m.sectors)  # nothing unmapped
        nav = (m.raw_dir / "nav" / "nav_diagnose.csv").read_text(encoding="utf-8-sig")
        assert {r["Sektor"] for r in csv.DictReader(io.StringIO(nav), delimiter=";")} <= {
            *m.sectors, "Alle"}
    assert ("200", "Pleie og omsorg") in sectors["Hof"]
    assert ("20", "Helse, omsorg og velferd") in sectors["Andebu"]
    assert ("2", "Helse og velferd") in sectors["Stokke"]
    assert region.municipality("0714").sectors["200"] == "helse"


def test_serve_region_needs_a_prefect_server(tmp_path, monkeypatch, capsys):
    from tests.test_cli import main_in_process

    region = tiny_region(tmp_path)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    code, out, err = main_in_process(["serve", "--region", str(region.path)], capsys)
    assert code == 2
    assert err.strip().startswith("Feil: PREFECT_API_URL er ikke satt.")


def test_the_region_deployments_one_nightly_without_schedule_and_the_parent_on_the_cron(tmp_path):
    from flows.region import MUNICIPALITY_QUEUE, REGION_QUEUE, region_deployments

    municipality, parent = region_deployments(tiny_region(tmp_path), "0 2 * * *", "Europe/Oslo")
    assert municipality.flow_name == "sickleave-nightly"
    assert municipality.name == "region-municipality"
    assert municipality.work_queue_name == MUNICIPALITY_QUEUE and not municipality.schedules
    assert municipality.entrypoint == "flows.nightly.nightly"  # loaded from the installed package
    assert (parent.flow_name, parent.name, parent.work_queue_name) == (
        "sickleave-region", "region", REGION_QUEUE)
    assert parent.entrypoint == "flows.region.region_night"
    assert parent.parameters == {"region_path": str((tmp_path / "region.yaml").resolve())}
    [schedule] = parent.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 2 * * *", "Europe/Oslo")
