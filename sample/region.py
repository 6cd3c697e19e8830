"""A sample region: several generated municipalities of different sizes, each with its own raw
folder, key file and output folder, and the region file that ties them together.

Each municipality is the sample municipality (sample.municipality) with its own size and seed,
and with its sectors coded and named its own way (as real municipalities do), so the region
file's sector mapping has something to do. The 14 municipalities of Vestfold (as in 2014, before
the mergers) have sizes in proportion to their population (about 78 employees per 1 000
inhabitants, as Andebu's 450 for 5 800); the small sample is three of them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from sample.municipality import copy_reference_data, generate_municipality

# The generator's own sectors, and the common sectors of the sample region.
COMMON_SECTORS = {
    "adm": "Administrasjon og stab",
    "helse": "Helse og omsorg",
    "oppvekst": "Oppvekst og kultur",
    "teknisk": "Teknisk og næring",
}
GENERATED_SECTORS = {"10": "adm", "20": "helse", "30": "oppvekst", "40": "teknisk"}

# How a municipality codes and names its sectors: generated code -> (its code, its name).
SECTOR_STYLES = {
    "andebu": {},  # the generator's own codes and names
    "hundreds": {
        "10": ("100", "Rådmannens stab"),
        "20": ("200", "Pleie og omsorg"),
        "30": ("300", "Skole og barnehage"),
        "40": ("400", "Teknisk drift"),
    },
    "single": {
        "10": ("1", "Stab og støtte"),
        "20": ("2", "Helse og velferd"),
        "30": ("3", "Oppvekst"),
        "40": ("4", "Samfunnsutvikling"),
    },
}


@dataclass(frozen=True)
class SampleMunicipality:
    name: str
    number: str  # kommunenummer in 2014
    employees: int
    seed: int
    style: str

    @property
    def slug(self) -> str:
        plain = self.name.lower().translate(str.maketrans({"ø": "o", "æ": "ae", "å": "a"}))
        return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


VESTFOLD = (
    SampleMunicipality("Horten", "0701", 2090, 701, "hundreds"),
    SampleMunicipality("Holmestrand", "0702", 830, 702, "single"),
    SampleMunicipality("Tønsberg", "0704", 3280, 704, "hundreds"),
    SampleMunicipality("Sandefjord", "0706", 3510, 706, "single"),
    SampleMunicipality("Larvik", "0709", 3390, 709, "hundreds"),
    SampleMunicipality("Svelvik", "0711", 510, 711, "single"),
    SampleMunicipality("Sande", "0713", 700, 713, "hundreds"),
    SampleMunicipality("Hof", "0714", 240, 714, "hundreds"),
    SampleMunicipality("Re", "0716", 720, 716, "hundreds"),
    SampleMunicipality("Andebu", "0719", 450, 74, "andebu"),
    SampleMunicipality("Stokke", "0720", 910, 720, "single"),
    SampleMunicipality("Nøtterøy", "0722", 1680, 722, "hundreds"),
    SampleMunicipality("Tjøme", "0723", 380, 723, "single"),
    SampleMunicipality("Lardal", "0728", 190, 728, "hundreds"),
)
SAMPLE = tuple(m for m in VESTFOLD if m.name in ("Andebu", "Stokke", "Hof"))
PRESETS = {"sample": SAMPLE, "vestfold": VESTFOLD}


def generate_region(
    out_dir: Path,
    preset: str = "sample",
    scale: float = 1.0,
    name: str = "Vestfold (eksempel)",
) -> Path:
    """Write each municipality's raw folder under out_dir/kommuner/<name>/raw and the region file
    out_dir/region.yaml; return the region file's path. `scale` multiplies every size (the
    benchmark's small runs)."""
    out_dir = Path(out_dir)
    members = PRESETS[preset]
    for member in members:
        raw = out_dir / "kommuner" / member.slug / "raw"
        employees = max(20, round(member.employees * scale))
        generate_municipality(raw, employees=employees, seed=member.seed)
        copy_reference_data(raw)
        restyle_sectors(raw, SECTOR_STYLES[member.style])
    path = out_dir / "region.yaml"
    path.write_text(region_yaml(members, name), encoding="utf-8")
    return path


def restyle_sectors(raw: Path, style: dict[str, tuple[str, str]]) -> None:
    """Give the generated organisation file (and NAV's file) the municipality's own sector codes
    and names."""
    if not style:
        return
    organisation = raw / "agresso" / "organisasjon.csv"
    text = organisation.read_bytes().decode("cp1252")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = rows[0]
    code, label = header.index("Sektor"), header.index("Sektornavn")
    for row in rows[1:]:
        if row and row[code] in style:
            row[code], row[label] = style[row[code]]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    organisation.write_bytes(out.getvalue().encode("cp1252"))
    nav = raw / "nav" / "nav_diagnose.csv"
    text = nav.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    column = rows[0].index("Sektor")
    for row in rows[1:]:
        if row and row[column] in style:
            row[column] = style[row[column]][0]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    nav.write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))


def region_yaml(members, name: str) -> str:
    lines = [
        "# The sample region: generated municipalities (sample data, not real figures).",
        f"name: {name}",
        "output: felles            # region.duckdb and the regional report (regionrapport_*.html)",
        "mask_threshold: 5",
        "concurrency: 2            # municipality nights at a time on the work pool",
        "work_pool: sickleave-region",
        "sectors:",
        *[f"  {code}: {label}" for code, label in COMMON_SECTORS.items()],
        "municipalities:",
    ]
    for member in members:
        style = SECTOR_STYLES[member.style]
        folder = f"kommuner/{member.slug}"
        lines += [
            f"  - name: {member.name}",
            f'    number: "{member.number}"',
            f"    raw: {folder}/raw",
            f"    key_file: keys/{member.slug}.key",
            f"    output: {folder}",
            "    sectors:",
            *[
                f'      "{style.get(generated, (generated,))[0]}": {common}'
                for generated, common in GENERATED_SECTORS.items()
            ],
        ]
    return "\n".join(lines) + "\n"
