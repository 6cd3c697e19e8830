"""`sickleave rebuild` computes anew from the archive even when no input changed (where `run`
skips the night), and publishes the same figures."""

import duckdb

from pipeline import cli
from sample.municipality import generate_municipality

FIGURES = (
    "SELECT quarter, scope_level, scope_code, sick_leave_pct, lost_workdays, possible_workdays "
    "FROM sick_leave_quarterly ORDER BY ALL"
)


def published(path) -> tuple[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        (run_id,) = con.execute("SELECT DISTINCT run_id FROM load_log").fetchone()
        return run_id, con.execute(FIGURES).fetchall()
    finally:
        con.close()


def test_rebuild_recomputes_when_inputs_are_unchanged(tmp_path, capsys, monkeypatch):
    """The commands' own functions, in this process (no Prefect server configured)."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    generate_municipality(raw, employees=60)
    analytics = warehouse / "analytics.duckdb"
    folders = {"raw_dir": raw, "warehouse_dir": warehouse, "as_of": "2014-06-30"}

    cli.run(**folders, force=False)
    run_id, figures = published(analytics)
    built = analytics.stat().st_mtime_ns
    assert len(figures) > 20
    capsys.readouterr()

    cli.run(**folders, force=False)  # nothing changed: run skips the night
    assert "Ingen endringer i inndata" in capsys.readouterr().out
    assert (published(analytics)[0], analytics.stat().st_mtime_ns) == (run_id, built)

    cli.rebuild(**folders)
    assert "Ingen endringer" not in capsys.readouterr().out
    new_run_id, new_figures = published(analytics)
    assert new_run_id != run_id
    assert analytics.stat().st_mtime_ns != built
    assert new_figures == figures
