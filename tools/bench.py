"""Time the build, as a user runs it, and write the figures down.

Four scenarios, each repeated and summarised by its median:

- **cold**: a fresh build folder (no cache, no staged book), every chapter executed;
- **no change**: the same command again, nothing changed;
- **one chapter**: ``--chapter revenues`` with a new ``jpy_per_usd`` each time;
- **scenarios**: three scenarios that change only the guidance point
  (``--sweep guidance_point=low,mid,high``) added to the book just built: the
  chapters that take it run once for each value that is not the default, and
  every page is rendered in one pass;
- **naive**: jupyter-book alone on a copy of the project, executing every
  notebook itself, one after another (``execute_notebooks: force``).

It also weighs a first visit to each page of the first cold build, in headless Chromium:
the bytes of every response the browser receives (page, scripts, styles, fonts), uncompressed.

The results go to ``_build/benchmark.json`` and ``_build/benchmark.md`` with
the ratios the project aims for (cold ≤ 45 s; no change ≤ 0.25 × cold; one
chapter ≤ 0.5 × cold; scenarios ≤ 1.5 × cold; cold ≤ 0.6 × naive; a first visit to a
chapter ≤ 450 KB sent, 1.55 MB unpacked). Run with ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from iijbook_build.bundle import write_bundle
from iijbook_build.inputs import project_root
from iijbook_build.render import child_env

TARGETS = {
    "cold_s": 45.0,
    "no_change_over_cold": 0.25,
    "one_chapter_over_cold": 0.5,
    "scenarios_over_cold": 1.5,
    "cold_over_naive": 0.6,
    "cold_cpu_over_naive_cpu": 0.6,
    "chapter_first_visit_kb_sent": 450,
    "chapter_first_visit_mb": 1.55,  # as tests/test_browser.py: FIRST_VISIT_LIMIT
}


def _page_weights(site: Path, root: Path) -> dict[str, dict[str, int]]:
    """First-visit weights of every page the table of contents lists; empty without Chromium."""
    from iijbook_build.inputs import toc_files

    from tools.browser import CHROMIUM, first_visit_weights

    if not CHROMIUM.exists():
        print("  no Chromium (make chromium): page weights not measured")
        return {}
    pages = [f"{name}.html" for name in toc_files(root)]
    return first_visit_weights(site, pages)


def _run(cmd: list[str], cwd: Path, cpu: dict[str, list[float]] | None = None, case: str = "") -> float:
    """Run ``cmd``; its wall seconds, and (into ``cpu[case]``) the CPU seconds it and its children used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=child_env())
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    if cpu is not None:
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        cpu.setdefault(case, []).append(used)
    return seconds


def _naive_copy(root: Path, where: Path) -> Path:
    """A copy of the book that jupyter-book executes itself, serially."""
    copy = where / "naive"
    shutil.copytree(
        root,
        copy,
        ignore=shutil.ignore_patterns(".venv", "_build", ".git", "tests", "__pycache__", "*.egg-info"),
    )
    config = yaml.safe_load((copy / "_config.yml").read_text())
    config["execute"] = {"execute_notebooks": "force", "timeout": 300}
    (copy / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    write_bundle(copy / "_static")  # the build writes it into its stage; the naive copy needs its own
    return copy


def run(repeat: int = 3) -> dict:
    root = project_root()
    exe = str(Path(sys.executable).with_name("iijbook"))
    jb = str(Path(sys.executable).with_name("jupyter-book"))
    cases = ("cold", "no_change", "one_chapter", "scenarios", "naive")
    times: dict[str, list[float]] = {case: [] for case in cases}
    weights: dict[str, dict[str, int]] = {}
    cpu: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="iijbook-bench-") as tmp:
        tmpdir = Path(tmp)
        naive = _naive_copy(root, tmpdir)
        for i in range(repeat):  # the naive build alternates with the cold one, on the same machine state
            shutil.rmtree(naive / "_build", ignore_errors=True)
            times["naive"].append(_run([jb, "build", str(naive), "--builder", "html"], naive, cpu, "naive"))
            build_dir = tmpdir / f"build-{i}"
            times["cold"].append(_run([exe, "build", "--build-dir", str(build_dir)], root, cpu, "cold"))
            if i == 0:
                weights = _page_weights(build_dir / "html", root)
            times["no_change"].append(_run([exe, "build", "--build-dir", str(build_dir)], root))
            rate = f"{140 + i}.5"
            times["one_chapter"].append(
                _run(
                    [
                        exe,
                        "build",
                        "--build-dir",
                        str(build_dir),
                        "-p",
                        "jpy_per_usd",
                        rate,
                        "--chapter",
                        "revenues",
                    ],
                    root,
                )
            )
            sweep = ["--sweep", "guidance_point=low,mid,high"]
            times["scenarios"].append(_run([exe, "build", "--build-dir", str(build_dir), *sweep], root))
            shutil.rmtree(build_dir)
            print(
                f"  round {i + 1}/{repeat}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items() if v)
            )
    med = {k: round(statistics.median(v), 2) for k, v in times.items()}
    med_cpu = {k: round(statistics.median(v), 2) for k, v in cpu.items()}
    ratios = {
        "no_change_over_cold": round(med["no_change"] / med["cold"], 3),
        "one_chapter_over_cold": round(med["one_chapter"] / med["cold"], 3),
        "scenarios_over_cold": round(med["scenarios"] / med["cold"], 3),
        "cold_over_naive": round(med["cold"] / med["naive"], 3),
        "cold_cpu_over_naive_cpu": round(med_cpu["cold"] / med_cpu["naive"], 3),
    }
    chapters = {p: w for p, w in weights.items() if (root / p).with_suffix(".ipynb").is_file()}
    met = {
        "cold_s": med["cold"] <= TARGETS["cold_s"],
        **{k: ratios[k] <= TARGETS[k] for k in ratios},
    }
    if chapters:
        heaviest = max(w["bytes"] for w in chapters.values()) / 1e6
        met["chapter_first_visit_mb"] = heaviest <= TARGETS["chapter_first_visit_mb"]
        sent = max(w["gzip_bytes"] for w in chapters.values()) / 1e3
        met["chapter_first_visit_kb_sent"] = sent <= TARGETS["chapter_first_visit_kb_sent"]
    return {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "repeat": repeat,
        "seconds": {k: [round(x, 2) for x in v] for k, v in times.items()},
        "median_s": med,
        "median_cpu_s": med_cpu,
        "cpu_seconds": {k: [round(x, 2) for x in v] for k, v in cpu.items()},
        "ratios": ratios,
        "targets": TARGETS,
        "targets_met": met,
        "first_visit_bytes": {p: w["bytes"] for p, w in weights.items()},
        "first_visit_responses": {p: w["responses"] for p, w in weights.items()},
        "first_visit_gzip_bytes": {p: w["gzip_bytes"] for p, w in weights.items()},
    }


def to_markdown(result: dict) -> str:
    med, r, t, met = result["median_s"], result["ratios"], result["targets"], result["targets_met"]
    cpu = result["median_cpu_s"]
    ok = {True: "met", False: "missed"}
    lines = [
        f"Benchmark: {result['machine']['cores']} cores, Python {result['machine']['python']}, "
        f"median of {result['repeat']} runs",
        "",
        "| scenario | median (s) | ratio | target |",
        "|---|---|---|---|",
        f"| cold build | {med['cold']:.1f} | | ≤ {t['cold_s']:.0f} s: {ok[met['cold_s']]} |",
        f"| rebuild, nothing changed | {med['no_change']:.1f} | "
        f"{r['no_change_over_cold']:.2f} × cold | "
        f"≤ {t['no_change_over_cold']} × cold: {ok[met['no_change_over_cold']]} |",
        f"| one chapter, new parameter | {med['one_chapter']:.1f} | "
        f"{r['one_chapter_over_cold']:.2f} × cold | "
        f"≤ {t['one_chapter_over_cold']} × cold: {ok[met['one_chapter_over_cold']]} |",
        f"| three guidance scenarios added | {med['scenarios']:.1f} | "
        f"{r['scenarios_over_cold']:.2f} × cold | "
        f"≤ {t['scenarios_over_cold']} × cold: {ok[met['scenarios_over_cold']]} |",
        f"| naive: jupyter-book executes, serially | {med['naive']:.1f} | "
        f"cold = {r['cold_over_naive']:.2f} × naive | "
        f"cold ≤ {t['cold_over_naive']} × naive: {ok[met['cold_over_naive']]} |",
        f"| CPU seconds: cold {cpu['cold']:.1f}, naive {cpu['naive']:.1f} "
        f"| | cold = {r['cold_cpu_over_naive_cpu']:.2f} × naive | "
        f"≤ {t['cold_cpu_over_naive_cpu']} × naive: {ok[met['cold_cpu_over_naive_cpu']]} |",
    ]
    weights = result.get("first_visit_bytes", {})
    if weights:
        limit = t["chapter_first_visit_mb"]
        lines += [
            "",
            f"First visit to each page: KB a static host that gzips sends (a chapter ≤ "
            f"{t['chapter_first_visit_kb_sent']} KB: {ok[met['chapter_first_visit_kb_sent']]}), and MB the "
            f"browser unpacks (a chapter ≤ {limit} MB: {ok[met['chapter_first_visit_mb']]})",
            "",
            "| page | KB sent | MB unpacked | responses |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {page} | {result['first_visit_gzip_bytes'][page] / 1e3:.0f} | {size / 1e6:.2f} | "
            f"{result['first_visit_responses'][page]} |"
            for page, size in weights.items()
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="iijbook bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each scenario (default 3)")
    parser.add_argument("--out", type=Path, default=None, help="folder for the results (default _build)")
    args = parser.parse_args(argv)
    result = run(args.repeat)
    out = args.out or project_root() / "_build"
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "benchmark.md").write_text(to_markdown(result))
    print(to_markdown(result))
    print(f"written to {out / 'benchmark.json'} and {out / 'benchmark.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
