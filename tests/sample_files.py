"""A small but complete set of Agresso exports for flow-level tests (two units, twelve people,
enough to pass the masking threshold), written in the default profile's dialect."""

from pathlib import Path

ORGANISATION = (
    "Arbeidssted;Navn;Sektor;Sektornavn;Orgnr;Fra dato;Til dato\r\n"
    "2010;Andebu sykehjem;20;Helse, omsorg og velferd;;;\r\n"
    "3010;Høyjord skole;30;Oppvekst og kultur;;;\r\n"
)


def employments() -> str:
    rows = ["Ressursnr;Arbeidssted;Stillingsprosent;Fra dato;Til dato;Navn;Fødselsnr"]
    for i in range(12):
        unit = "2010" if i < 6 else "3010"
        pct = ["100", "80", "50", "75", "60", "100"][i % 6]
        rows.append(f"{10001 + i};{unit};{pct};01.01.2013;;Ansatt Nummer{i};")
    return "\r\n".join(rows) + "\r\n"


def absences() -> str:
    rows = ["Ressursnr;Fraværskode;Fra dato;Til dato;Fraværsprosent;Arbeidssted"]
    for i in range(12):
        rows.append(f"{10001 + i};EGM;{7 + i % 3:02d}.01.2013;{8 + i % 3:02d}.01.2013;;")
        grade = 50 + 50 * (i % 2)
        rows.append(f"{10001 + i};SYK;{4 + i:02d}.03.2014;{20 + i:02d}.03.2014;{grade};")
    return "\r\n".join(rows) + "\r\n"


def write_sample(raw_dir: Path) -> Path:
    folder = raw_dir / "agresso"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "organisasjon.csv").write_bytes(ORGANISATION.encode("cp1252"))
    (folder / "ansettelser.csv").write_bytes(employments().encode("cp1252"))
    (folder / "fravaer.csv").write_bytes(absences().encode("cp1252"))
    return raw_dir
