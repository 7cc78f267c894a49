"""Benchmark: the lawyers' formats against their peers, side by side, at three sizes.

  docx-redline  ours: ``render_docx`` (the new version with tracked changes, summary, moves)
                peer: python-docx writing the new version's paragraphs plainly (no revisions):
                the floor any Word output pays
  import-docx   ours: ``publisher import`` of a .docx (mammoth's HTML, then our tree)
                peer: ``mammoth.convert_to_markdown`` (mammoth alone, no clause structure)
  pdf-version   ours: ``version_pdf`` (the site's HTML and CSS through WeasyPrint, n = 200 only); no peer
                in this environment, so only our figure

Synthetic policies (seeded): n numbered obligations in sections of 20, each with two bullets;
the new version rewords every 10th, removes every 25th, adds one per section. Each
measurement runs in a fresh process; the median wall time over ``--repeat`` runs and the
process's peak resident memory are reported, and the ratio ours/peer.

Run: ``python benchmarks/bench_formats.py [--repeat N] [--sizes 200,1000,4000]``.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import announce

WORDS = (
    "account",
    "data",
    "service",
    "content",
    "network",
    "licence",
    "notice",
    "payment",
    "access",
    "system",
    "traffic",
    "host",
    "customer",
    "resource",
)


def policy(n: int, *, new: bool) -> str:
    rng = random.Random(n)
    lines = [
        "---",
        "title: Benchmark Policy",
        f'version: "{2 if new else 1}"',
        "---",
        "",
        "# Benchmark Policy",
        "",
    ]
    for section in range(0, n, 20):
        lines += [f"## {section // 20 + 1}. Section {section // 20 + 1}", ""]
        for i in range(section, min(section + 20, n)):
            if new and i % 25 == 24:
                continue
            verb = "shall not" if new and i % 10 == 0 else "must not"
            words = " ".join(rng.choice(WORDS) for _ in range(12))
            lines.append(f"{i - section + 1}. You {verb} misuse the {words}.")
            lines += [
                f"    - for example the {rng.choice(WORDS)} of others;",
                f"    - or any {rng.choice(WORDS)} you do not own.",
            ]
        if new:
            lines.append(f"{21}. You must not add section {section} rules.")
        lines.append("")
    return "\n".join(lines)


def run_one(task: str, side: str, n: int, folder: Path) -> dict[str, float]:
    old_md, new_md = folder / "old.md", folder / "new.md"
    started = time.perf_counter()
    if task == "docx-redline":
        from publisher.formats.sources import redline_of_files

        redline = redline_of_files(old_md, new_md)
        if side == "ours":
            from publisher.formats.docx import render_docx

            data = render_docx(redline)
        else:
            import docx

            from publisher.formats.layout import paragraph_text

            document = docx.Document()
            for clause in redline.new.walk():
                document.add_paragraph(paragraph_text(clause))
            out = io.BytesIO()
            document.save(out)
            data = out.getvalue()
    elif task == "import-docx":
        source = folder / "policy.docx"
        if side == "ours":
            from publisher.importing import import_file

            data = import_file(source).markdown.encode()
        else:
            import mammoth

            with source.open("rb") as handle:
                data = mammoth.convert_to_markdown(handle).value.encode()
    else:
        from publisher.diff.sources import read_file
        from publisher.formats.pdf import version_pdf

        document = read_file(new_md)
        data = version_pdf(document, version="2", effective=None)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall": wall, "peak_mb": peak, "bytes": len(data)}


def prepare(n: int, folder: Path) -> None:
    (folder / "old.md").write_text(policy(n, new=False), encoding="utf-8")
    (folder / "new.md").write_text(policy(n, new=True), encoding="utf-8")
    import docx

    document = docx.Document()
    document.add_heading("Benchmark Policy", level=1)
    for line in policy(n, new=True).splitlines()[7:]:
        if line.startswith("## "):
            document.add_heading(line[3:], level=2)
        elif line.startswith("    - "):
            document.add_paragraph(line[6:], style="List Bullet")
        elif line.strip():
            document.add_paragraph(line)
    document.save(str(folder / "policy.docx"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="200,1000,4000")
    parser.add_argument("--one", nargs=4, metavar=("TASK", "SIDE", "N", "DIR"))
    args = parser.parse_args()
    if args.one:
        task, side, n, folder = args.one
        print(json.dumps(run_one(task, side, int(n), Path(folder))))
        return
    announce()
    print(
        f"{'task':14} {'n':>5} {'ours s':>8} {'peer s':>8} {'ratio':>6} "
        f"{'ours MB':>8} {'peer MB':>8}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            prepare(n, folder)
            for task in ("docx-redline", "import-docx", "pdf-version"):
                if task == "pdf-version" and n > 200:
                    continue
                figures: dict[str, tuple[float, float]] = {}
                for side in ("ours", "peer") if task != "pdf-version" else ("ours",):
                    runs = [
                        json.loads(
                            subprocess.run(
                                [sys.executable, __file__, "--one", task, side, str(n), tmp],
                                capture_output=True,
                                text=True,
                                check=True,
                            ).stdout
                        )
                        for _ in range(args.repeat)
                    ]
                    figures[side] = (
                        statistics.median(r["wall"] for r in runs),
                        max(r["peak_mb"] for r in runs),
                    )
                ours = figures["ours"]
                peer = figures.get("peer")
                ratio = f"{ours[0] / peer[0]:6.2f}" if peer else "     -"
                print(
                    f"{task:14} {n:5} {ours[0]:8.3f} {peer[0] if peer else float('nan'):8.3f} "
                    f"{ratio} {ours[1]:8.0f} {peer[1] if peer else float('nan'):8.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
