"""Write the SoftMax Pro text-export fixtures of tests/test_readers_softmax.py (seeded: rerun to get the same bytes).

The layouts follow real SoftMax Pro exports (export version 1.3, as in the allotropy project's test
data): ``##BLOCKS= n``, one ``Plate:`` line of tab-separated settings per plate section, plate format
(wavelengths side by side, row letters not written) or time format (one line per wavelength, wells
``A1 …`` as columns), the reduced grid after the raw data, ``Group:`` and ``Note:`` blocks, each block
closed by ``~End``, and the ``Original Filename: …; Date Last Saved: …`` last line. SoftMax Pro writes
UTF-16 little-endian with a BOM and CRLF line ends; some exports are UTF-8, some UTF-16 without BOM.

Every OD is ``round(uniform(0.04, 3.2), 4)`` from ``random.Random(SEED + k)``; :func:`values` gives the
same numbers to the tests, which assert each well against them.

Run: ``python tests/data/plates/softmax/make_fixtures.py``.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).parent
SEED = 17
ROWS = "ABCDEFGHIJKLMNOP"
SHAPES = {96: (8, 12), 384: (16, 24)}


def values(k: int, wells: int = 96) -> dict[str, str]:
    """The k-th grid of values: well -> text as written in the fixture."""
    rng = random.Random(SEED + k)
    n_rows, n_cols = SHAPES[wells]
    return {f"{ROWS[r]}{c}": f"{round(rng.uniform(0.04, 3.2), 4)}" for r in range(n_rows) for c in range(1, n_cols + 1)}


def plate_line(
    name: str,
    fmt: str,
    wavelengths: list[int],
    *,
    read_type: str = "Endpoint",
    mode: str = "Absorbance",
    data_type: str = "Raw",
    points: int = 1,
    wells: int = 96,
    interval: str = "",
) -> str:
    """The ``Plate:`` settings line of an absorbance/luminescence section, as SoftMax Pro 7 writes it."""
    n_rows, n_cols = SHAPES[wells]
    fields = [
        "Plate:",
        name,
        "1.3",
        fmt,
        read_type,
        mode,
        data_type,
        "FALSE",
        str(points),
        interval and "120",
        interval,
        "",
        "",
        "",
        str(len(wavelengths)),
        "".join(f"{w} " for w in wavelengths),
        "1",
        str(n_cols),
        str(wells),
        "1",
        str(n_rows),
        "",
        "",
    ]
    return "\t".join(fields)


def plate_format_grid(grids: list[dict[str, str]], wells: int, first: str = "", temperature: str = "22.4") -> list[str]:
    """The rows of one plate-format block: the wavelengths' grids side by side, a blank column between."""
    n_rows, n_cols = SHAPES[wells]
    lines = []
    for r in range(n_rows):
        cells = [first if r == 0 else "", temperature if r == 0 else ""]
        for g in grids:
            cells += [g[f"{ROWS[r]}{c}"] for c in range(1, n_cols + 1)] + [""]
        lines.append("\t".join(cells) + "\t")
    return lines


def plate_header(n_grids: int, wells: int, first: str = "") -> str:
    n_cols = SHAPES[wells][1]
    cols = [str(c) for c in range(1, n_cols + 1)]
    return "\t".join([first, "Temperature(¡C)"] + (cols + [""]) * n_grids) + "\t"


def reduced_plate(grid: dict[str, str], wells: int) -> list[str]:
    n_rows, n_cols = SHAPES[wells]
    out = ["\t\t" + "\t".join(str(c) for c in range(1, n_cols + 1)) + "\t"]
    for r in range(n_rows):
        out.append("\t\t" + "\t".join(grid[f"{ROWS[r]}{c}"] for c in range(1, n_cols + 1)) + "\t")
    return out


def reduced_of(a: dict[str, str], b: dict[str, str]) -> dict[str, str]:
    """What SoftMax Pro's ``!Lm1-!Lm2`` reduction writes: full precision."""
    return {w: repr(float(a[w]) - float(b[w])) for w in a}


def well_names(wells: int) -> list[str]:
    n_rows, n_cols = SHAPES[wells]
    return [f"{ROWS[r]}{c}" for r in range(n_rows) for c in range(1, n_cols + 1)]


def write(name: str, lines: list[str], encoding: str) -> None:
    text = "\r\n".join(lines) + "\r\n"
    data = {
        "utf-16-bom": b"\xff\xfe" + text.encode("utf-16-le"),
        "utf-16-nobom": text.encode("utf-16-le"),
        "utf-8": text.encode("utf-8"),
    }[encoding]
    (HERE / name).write_bytes(data)


def group_block(name: str, rows: list[tuple[str, str, str, str]]) -> list[str]:
    """A group table: (sample, well, OD, plate name) rows, then SoftMax's column and summary tables."""
    out = [f"Group: {name}", "Sample\tWells\tOD\tMeanOD\tWellPlateName\t"]
    seen = set()
    for sample, well, od, plate in rows:
        first = sample not in seen
        seen.add(sample)
        mean = f"{sum(float(o) for s, _, o, p in rows if s == sample and p == plate) / 2:.3f}" if first else " "
        out.append(f"{sample if first else ' '}\t{well}\t{od}\t{mean}\t{plate}\t")
    out += [
        "",
        "Group Column\tFormula Name\tFormula\tPrecision\tNotation",
        "1\tSample\t!SampleNames\t3 decimal places\tNumeric",
        "2\tWells\t!WellIDs\t3 decimal places\tNumeric",
        "3\tOD\t!WellValues\t3 decimal places\tNumeric",
        "4\tMeanOD\tAverage(OD)\t3 decimal places\tNumeric",
        "5\tWellPlateName\t!WellPlateName\t3 decimal places\tNumeric",
        "",
        "Group Summaries",
        "~End ",
    ]
    return out


def main() -> None:
    # 1. Plate format, UTF-16 with BOM: two plate sections both named 'Plate01' (names repeat in real
    #    files), each read at 450 and 650 nm side by side, with the Lm1-Lm2 reduced grid; a group table.
    p1_450, p1_650, p2_450, p2_650 = values(1), values(2), values(3), values(4)
    p1_450["C7"] = "Range?"  # what SoftMax Pro writes for a well above the reader's range
    lines = ["##BLOCKS= 4", "Note: ", "ELISA 450/650 - fixture written by make_fixtures.py", "~End "]
    for plate_450, plate_650 in ((p1_450, p1_650), (p2_450, p2_650)):
        lines.append(plate_line("Plate01", "PlateFormat", [450, 650]))
        lines.append(plate_header(2, 96))
        lines += plate_format_grid([plate_450, plate_650], 96)
        lines.append("")
        red = reduced_of({w: v if v != "Range?" else "0" for w, v in plate_450.items()}, plate_650)
        if plate_450 is p1_450:
            red["C7"] = "Range?"
        lines += reduced_plate(red, 96)
        lines.append("~End")
    rows = [("Std01", w, f"{float(p1_450[w]) - float(p1_650[w]):.3f}", "Plate01") for w in ("A1", "A2")]
    lines += group_block("Standards", rows)
    lines.append("Original Filename: elisa_two_plates; Date Last Saved: 3/4/2026 10:15:02 AM")
    write("plate_format_two_plates.txt", lines, "utf-16-bom")

    # 2. Time format, UTF-8: one plate section at 450 and 570 nm, one line per wavelength, reduced line.
    t450, t570 = values(5), values(6)
    names = well_names(96)
    lines = [
        "##BLOCKS= 1",
        plate_line("Assay 7", "TimeFormat", [450, 570]),
        "\tTemperature(¡C)\t" + "\t".join(names) + "\t",
        "\t23.1\t" + "\t".join(t450[w] for w in names) + "\t",
        "",
        "",
        "\t23.1\t" + "\t".join(t570[w] for w in names) + "\t",
        "",
        "",
        "\t\t" + "\t".join(names) + "\t",
        "\t\t" + "\t".join(reduced_of(t450, t570)[w] for w in names) + "\t",
        "~End",
        "Original Filename: assay7; Date Last Saved: 3/4/2026 11:02:40 AM",
    ]
    write("time_format_450_570.txt", lines, "utf-8")

    # 3. Plate format, 384 wells, UTF-16 without BOM, one wavelength.
    big = values(7, 384)
    lines = ["##BLOCKS= 1", plate_line("Plate384", "PlateFormat", [450], wells=384), plate_header(1, 384)]
    lines += plate_format_grid([big], 384)
    lines += ["", *reduced_plate(big, 384), "~End", "Original Filename: p384; Date Last Saved: 3/4/2026 1:00:00 PM"]
    write("plate_format_384.txt", lines, "utf-16-nobom")

    # 4. Kinetic, plate format: three time points at 405 nm, each a row block led by its time.
    lines = [
        "##BLOCKS= 1",
        plate_line("Kin", "PlateFormat", [405], read_type="Kinetic", points=3, interval="30"),
        plate_header(1, 96),
    ]
    for k, t in enumerate(("0:00", "0:30", "1:00")):
        lines += plate_format_grid([values(10 + k)], 96, first=t, temperature="37.00")
        lines.append("\t\t")
    lines += [*reduced_plate(values(13), 96), "~End"]
    write("kinetic_plate_format.txt", lines, "utf-16-bom")

    # 5. Luminescence (no wavelength: SoftMax writes 0), time format.
    lum = {w: str(int(float(v) * 10000)) for w, v in values(20).items()}
    lines = [
        "##BLOCKS= 1",
        plate_line("Lum", "TimeFormat", [0], mode="Luminescence"),
        "\tTemperature(¡C)\t" + "\t".join(names) + "\t",
        "\t25.0\t" + "\t".join(lum[w] for w in names) + "\t",
        "",
        "\t\t" + "\t".join(names) + "\t",
        "\t\t" + "\t".join(lum[w] for w in names) + "\t",
        "~End",
    ]
    write("luminescence_time_format.txt", lines, "utf-16-bom")

    # 6. Reduced only: the section holds the reduced line, not the raw reads.
    red = values(21)
    lines = [
        "##BLOCKS= 1",
        plate_line("Plate1", "TimeFormat", [450, 650], data_type="Reduced"),
        "\t\t" + "\t".join(names) + "\t",
        "\t\t" + "\t".join(red[w] for w in names) + "\t",
        "~End",
    ]
    write("reduced_only.txt", lines, "utf-8")

    # 7. Broken: a plate-format grid cut after row E (rows F-H lost), then the reduced grid.
    cut = values(30)
    lines = ["##BLOCKS= 1", plate_line("Plate01", "PlateFormat", [450]), plate_header(1, 96)]
    lines += plate_format_grid([cut], 96)[:5]
    lines += ["", *reduced_plate(cut, 96), "~End"]
    write("truncated_grid.txt", lines, "utf-16-bom")

    # 8. Broken: the file ends inside the plate section (no ~End).
    lines = ["##BLOCKS= 1", plate_line("Plate01", "PlateFormat", [450]), plate_header(1, 96)]
    lines += plate_format_grid([values(31)], 96)
    write("no_end.txt", lines, "utf-16-bom")

    # 9. The XML export (UTF-16 with BOM, as SoftMax Pro 6.4 writes it), and a copy cut short.
    write_xml()


def xml_export() -> str:
    """A SoftMax Pro 6/7 XML export: an endpoint section at 450 and 650 nm, a kinetic section at 405 nm."""
    out = ["<Experiment>", "  <PlateSections>"]
    sections = [
        ("ELISA", "Endpoint", [450, 650], [[values(40)], [values(41)]], None),
        ("Kin", "Kinetic", [405], [[values(42), values(43), values(44)]], ["0", "30", "60"]),
    ]
    for name, read_type, nms, grids, times in sections:
        out += [
            f'    <PlateSection Name="{name}" InstrumentInfo="SpectraMax M5&#xA;ROM v3.0.22 15Oct10" '
            'ReadTime="10:02 AM 3/4/2026">',
            "      <Barcode>n/a</Barcode>",
            f'      <InstrumentSettings ReadMode="Absorbance" ReadType="{read_type}" PlateType="96 Well Standard clrbtm">',
            f'        <WavelengthSettings NumberOfWavelengths="{len(nms)}">',
            *[f'          <Wavelength Index="{i}">{nm}</Wavelength>' for i, nm in enumerate(nms, start=1)],
            "        </WavelengthSettings>",
            "      </InstrumentSettings>",
            "      <Wavelengths>",
        ]
        for i, per_time in enumerate(grids, start=1):
            out += [f'        <Wavelength WavelengthIndex="{i}">', "          <Wells>"]
            for k, well in enumerate(well_names(96), start=1):
                r, c = ROWS.index(well[0]) + 1, int(well[1:])
                out.append(f'            <Well WellID="{k}" Name="{well}" Row="{r}" Col="{c}">')
                out.append(f"              <RawData>{' '.join(g[well] for g in per_time)}</RawData>")
                if times:
                    out.append(f"              <TimeData>{' '.join(times)}</TimeData>")
                out.append("            </Well>")
            out += ["          </Wells>", "        </Wavelength>"]
        out += ["      </Wavelengths>", "      <TemperatureData>22.8</TemperatureData>", "    </PlateSection>"]
    out += ["  </PlateSections>", "</Experiment>"]
    return "\r\n".join(out) + "\r\n"


def write_xml() -> None:
    text = xml_export()
    (HERE / "xml_export.xml").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    cut = text[: text.index('<Well WellID="40"')]  # the file ends inside the first section
    (HERE / "xml_truncated.xml").write_bytes(b"\xff\xfe" + cut.encode("utf-16-le"))


if __name__ == "__main__":
    main()
