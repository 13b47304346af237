"""Build time, build memory and start-up of a whole knowledge base, through the real CLI.

`bench_index.py` measures the index alone on token lists. This benchmark measures what a
user meets: a folder of Markdown documents indexed with `policybot index`, then a fresh
process that opens the store and answers.

1. A knowledge folder is written from `corpus.passages_text(n, seed)`: `--documents` files
   with a `title:` in their front matter, one paragraph per passage (so ~n / documents
   paragraphs each) and a `## heading` every 10 paragraphs. Its time is reported, and is not
   part of the build time.
2. `policybot index --knowledge DIR --db DB` runs as a subprocess (the console script beside
   this Python, else the one on PATH). Its wall time (interpreter start and imports
   included) and its peak RSS, its own `ru_maxrss` from `os.wait4`, are measured by a small
   launcher process: a child's `ru_maxrss` starts at its parent's peak, and this process
   has held a corpus chunk. Documents and passages come from its summary line. A paragraph
   over 700 characters is split, so passages can exceed paragraphs.
3. Start-up, three times, each in a fresh interpreter (this script in a hidden child mode):
   `KnowledgeBase.open(db, BUNDLED_SYNONYMS)` plus one `ask` is timed, then VmRSS (from
   /proc/self/status, with its anonymous and file-backed parts) and `ru_maxrss` are read.
   The medians are reported. Before run 1 the store and sidecar are dropped from the page
   cache with `posix_fadvise(DONTNEED)`, so run 1 reads them from disk (Python, numpy and
   the other libraries stay cached); runs 2 and 3 are warm.
4. In the same processes, `--questions` more questions made from corpus words (half with
   a very common word, see `corpus.queries`) are asked and RSS is read again: pages of the
   memory-mapped sidecar that queries touch count in RSS (as file-backed pages).
5. The sizes of the store and of its sidecar are reported.

    python benchmarks/bench_build.py --passages 1000000 [--documents 10000] [--seed 1] [--keep DIR]

Goals at 1,000,000 passages: build ≤ 90 s and ≤ 2 GB peak RSS; start-up ≤ 2 s and ≤ 600 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

GOAL_PASSAGES = 1_000_000
GOAL_BUILD_S = 90.0
GOAL_BUILD_RSS_MB = 2048.0
GOAL_STARTUP_S = 2.0
GOAL_STARTUP_RSS_MB = 600.0
STARTUP_RUNS = 3
PARAGRAPHS_PER_SECTION = 10
SUMMARY = re.compile(r"(\d+) documents, (\d+) passages in ([\d.]+)s")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# 1. The knowledge folder
# ---------------------------------------------------------------------------------------------


def _heading(text: str, words: int = 3) -> str:
    """A few of a passage's own words, as a section heading or title."""
    return " ".join(w.strip(",.?!") for w in text.split()[:words]).title()


def write_knowledge(folder: Path, passages: int, documents: int, seed: int) -> int:
    """Write `documents` Markdown files holding `passages` paragraphs; returns paragraphs written."""
    from corpus import passages_text

    folder.mkdir(parents=True, exist_ok=True)
    width = len(str(documents))
    texts = passages_text(passages, seed)
    written = 0
    for d in range(documents):
        count = (d + 1) * passages // documents - d * passages // documents
        paragraphs = [next(texts) for _ in range(count)]
        first = _heading(paragraphs[0]) if paragraphs else "Empty"
        lines = ["---", f"title: {json.dumps(f'Report {d + 1}: {first}')}", "---", ""]
        for i, text in enumerate(paragraphs):
            if i % PARAGRAPHS_PER_SECTION == 0:
                lines += [f"## {_heading(text)}", ""]
            lines += [text, ""]
        if not paragraphs:  # a document needs some text; only when documents > passages
            lines += ["Nothing here yet.", ""]
        (folder / f"doc-{d + 1:0{width}d}.md").write_text("\n".join(lines), encoding="utf-8")
        written += count
    return written


# ---------------------------------------------------------------------------------------------
# 2. The build, through the CLI
# ---------------------------------------------------------------------------------------------


@dataclass
class Build:
    wall_s: float
    peak_rss_mb: float
    documents: int
    passages: int
    reported_s: float  # the build's own timing, from its summary line


def policybot_command() -> str:
    """The `policybot` console script of this environment, else the one on PATH."""
    beside = Path(sys.executable).parent / "policybot"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("policybot")
    if not found:
        raise SystemExit("no `policybot` command found: install policybot (pip install -e .) in this environment")
    return found


def run_measured(command: list[str], workdir: Path, name: str) -> tuple[float, float, str, str]:
    """Run `command` to completion: (wall s, the child's own peak RSS MB, stdout, stderr).

    A child's `ru_maxrss` starts at its parent's peak (Linux carries the parent's high-water
    mark through fork, or vfork, and exec), and this process has held a corpus chunk. So the
    command is started by a small launcher process (`launch`), whose child's peak is its own.
    Output goes to files, so no pipe fills.
    """
    out_path, err_path, usage_path = (workdir / f"{name}.{part}" for part in ("stdout", "stderr", "usage"))
    launcher = [sys.executable, str(Path(__file__).resolve()), "--launch", str(usage_path), *command]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        status = subprocess.run(launcher, stdin=subprocess.DEVNULL, stdout=out, stderr=err, check=False).returncode
    stdout, stderr = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    usage = json.loads(usage_path.read_text()) if usage_path.exists() else {}
    for path in (out_path, err_path, usage_path):
        path.unlink(missing_ok=True)
    if status != 0 or not usage:
        raise SystemExit(f"{' '.join(command)} failed with status {status}:\n{stderr[-4000:]}{stdout}")
    return usage["wall_s"], usage["maxrss_mb"], stdout, stderr


def launch(usage_file: str, command: list[str]) -> int:
    """Launcher mode: run `command`, write its wall time and own peak RSS (`os.wait4`) as JSON."""
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    Path(usage_file).write_text(json.dumps({"wall_s": wall, "maxrss_mb": _maxrss_mb(usage.ru_maxrss)}))
    return os.waitstatus_to_exitcode(status)


def build(knowledge: Path, db: Path, workdir: Path) -> Build:
    command = [policybot_command(), "index", "--knowledge", str(knowledge), "--db", str(db)]
    log(f"build: {' '.join(command)}")
    wall, peak, stdout, _ = run_measured(command, workdir, "build")
    match = SUMMARY.search(stdout)
    if not match:
        raise SystemExit(f"no summary line in the output of `policybot index`:\n{stdout}")
    return Build(wall, peak, int(match[1]), int(match[2]), float(match[3]))


# ---------------------------------------------------------------------------------------------
# 3 and 4. Start-up and questions, in a fresh process
# ---------------------------------------------------------------------------------------------


def make_questions(count: int, seed: int) -> list[str]:
    """`count` questions of 2–4 corpus words, alternating common and content mixes."""
    from corpus import queries

    common = queries("common", (count + 1) // 2, seed)
    content = queries("content", count // 2, seed)
    mixed = [q for pair in zip(common, content, strict=False) for q in pair]
    mixed += common[len(content) :]
    return [f"What about {', '.join(words[:-1])} and {words[-1]}?" for words in mixed[:count]]


def startup_child(db: str, questions_file: str) -> None:
    """Child mode: open, answer once, report RSS; ask the rest, report RSS again (JSON on stdout)."""
    started = time.perf_counter()
    from bot.settings import BUNDLED_SYNONYMS
    from retrieval.knowledge_base import KnowledgeBase

    imports_s = time.perf_counter() - started
    questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))

    started = time.perf_counter()
    kb = KnowledgeBase.open(Path(db), BUNDLED_SYNONYMS)
    open_s = time.perf_counter() - started
    first = kb.ask(questions[0])
    ready_s = time.perf_counter() - started
    process_s = _process_age()  # interpreter start, imports, open and the first answer
    ready = _memory()

    latencies, declined = [], int(not first.answered)
    for question in questions[1:]:
        asked = time.perf_counter()
        answer = kb.ask(question)
        latencies.append(time.perf_counter() - asked)
        declined += not answer.answered
    after = _memory()
    json.dump(
        {
            "imports_s": imports_s,
            "open_s": open_s,
            "ready_s": ready_s,
            "process_s": process_s,
            "ready": ready,
            "after": after,
            "latencies_ms": [s * 1000 for s in latencies],
            "declined": declined,
            "passages": kb.passage_count,
        },
        sys.stdout,
    )


def _memory() -> dict[str, float]:
    """This process's VmRSS, RssAnon, RssFile and VmHWM from /proc/self/status, plus ru_maxrss, in MB."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024  # kB
    values["ru_maxrss"] = _maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return values


def _process_age() -> float:
    """Seconds since this process started (Linux /proc, to the 10 ms of a clock tick)."""
    with open("/proc/self/stat") as stat:
        start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
    return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")


def _maxrss_mb(value: int) -> float:
    """ru_maxrss is KiB on Linux, bytes on macOS."""
    return value / (1 << 20) if sys.platform == "darwin" else value / 1024


def evict(paths: list[Path]) -> bool:
    """Drop the files' pages from the page cache (they are clean after the build's fsync)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


def startup(db: Path, questions_file: Path, workdir: Path, run: int) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--startup-child", str(db), str(questions_file)]
    wall, peak, stdout, _ = run_measured(command, workdir, f"startup-{run}")
    result = json.loads(stdout)
    result["wall_s"], result["peak_rss_mb"] = wall, peak
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def machine() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            ram = f", {int(meminfo.readline().split()[1]) / (1 << 20):.0f} GB RAM"
    except OSError:
        ram = ""
    return f"{os.cpu_count()} CPUs{ram}, {platform.platform()}"


def verdict(value: float, goal: float, at_goal_size: bool) -> str:
    if not at_goal_size:
        return "n/a (goal is for 1M passages)"
    return "ok" if value <= goal else f"**over** ({value / goal:.1f}×)"


def fmt_runs(values: list[float], unit: str, digits: int = 2) -> str:
    median = statistics.median(values)
    return f"{median:.{digits}f} {unit} (runs: {', '.join(f'{v:.{digits}f}' for v in values)})"


def report(args, write_s: float, paragraphs: int, built: Build, runs: list[dict], db: Path, sidecar: Path) -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("policybot")
    except PackageNotFoundError:
        package = "source"
    at_goal = args.passages == GOAL_PASSAGES
    mb = 1 << 20
    ready_s = [r["ready_s"] for r in runs]
    ready_rss = [r["ready"]["VmRSS"] for r in runs]
    after_rss = [r["after"]["VmRSS"] for r in runs]
    med = statistics.median
    latencies = sorted(ms for r in runs[1:] for ms in r["latencies_ms"]) or runs[0]["latencies_ms"]
    p50, p95 = (statistics.quantiles(latencies, n=20)[i] for i in (9, 18)) if len(latencies) > 1 else (0.0, 0.0)

    def rss_parts(key: str) -> str:
        anon = med([r[key]["RssAnon"] for r in runs])
        file = med([r[key]["RssFile"] for r in runs])
        hwm = med([r[key]["ru_maxrss"] for r in runs])
        return f"anon {anon:,.0f} + file-backed {file:,.0f}; ru_maxrss {hwm:,.0f}"

    print(
        f"passages: {args.passages:,} · documents: {args.documents:,} · seed: {args.seed} · "
        f"policybot {package} · machine: {machine()} · Python {platform.python_version()}"
    )
    print()
    print("| measure | value | goal (at 1,000,000 passages) | verdict |")
    print("|---|---|---|---|")
    rows = [
        ("write the knowledge folder (not part of the build)",
         f"{write_s:.1f} s ({paragraphs:,} paragraphs in {args.documents:,} files)", "", ""),
        ("build: `policybot index` wall time", f"{built.wall_s:.1f} s (its own summary: {built.reported_s:.1f} s)",
         f"≤ {GOAL_BUILD_S:.0f} s", verdict(built.wall_s, GOAL_BUILD_S, at_goal)),
        ("build: peak RSS of the process", f"{built.peak_rss_mb:,.0f} MB",
         f"≤ {GOAL_BUILD_RSS_MB:,.0f} MB", verdict(built.peak_rss_mb, GOAL_BUILD_RSS_MB, at_goal)),
        ("build: documents / passages (summary line)", f"{built.documents:,} / {built.passages:,}", "", ""),
        (f"start-up: `KnowledgeBase.open` + first `ask`, median of {len(runs)}", fmt_runs(ready_s, "s"),
         f"≤ {GOAL_STARTUP_S:.0f} s", verdict(med(ready_s), GOAL_STARTUP_S, at_goal)),
        ("start-up: of which `KnowledgeBase.open`", fmt_runs([r["open_s"] for r in runs], "s"), "", ""),
        ("start-up: process start → ready (interpreter, imports, open, first answer)",
         f"{fmt_runs([r['process_s'] for r in runs], 's')}; imports {med([r['imports_s'] for r in runs]):.2f} s",
         "", ""),
        ("start-up: VmRSS when ready, median", f"{med(ready_rss):,.0f} MB ({rss_parts('ready')})",
         f"≤ {GOAL_STARTUP_RSS_MB:,.0f} MB", verdict(med(ready_rss), GOAL_STARTUP_RSS_MB, at_goal)),
        (f"after {args.questions} more questions: VmRSS, median", f"{med(after_rss):,.0f} MB ({rss_parts('after')})",
         "", ""),
        (f"those questions: latency p50 / p95 (runs 2–{len(runs)})" if len(runs) > 1 else "those questions: latency",
         f"{p50:.1f} / {p95:.1f} ms; declined {runs[0]['declined']} of {args.questions + 1}",
         "", ""),
        ("store (SQLite) size", f"{db.stat().st_size / mb:,.0f} MB", "", ""),
        ("sidecar (index arrays) size", f"{sidecar.stat().st_size / mb:,.0f} MB", "", ""),
    ]  # fmt: skip
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    first = "the store and sidecar evicted from the page cache before it" if args.evicted else "page cache as found"
    print(f"Start-up run 1: {first}; runs 2–{len(runs)} warm. RSS in MB.")


# ---------------------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 3 and sys.argv[1] == "--launch":
        sys.exit(launch(sys.argv[2], sys.argv[3:]))
    if len(sys.argv) == 4 and sys.argv[1] == "--startup-child":
        startup_child(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=GOAL_PASSAGES)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--questions", type=int, default=200, help="questions asked after start-up")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR (empty or new) and keep it")
    args = parser.parse_args()
    if args.passages < 1 or args.documents < 1 or args.questions < 1:
        parser.error("--passages, --documents and --questions must be at least 1")

    if args.keep:
        if args.keep.exists() and any(args.keep.iterdir()):
            parser.error(f"--keep {args.keep}: not empty")
        args.keep.mkdir(parents=True, exist_ok=True)
        workdir = args.keep.resolve()
    else:
        workdir = Path(tempfile.mkdtemp(prefix="policybot-bench-build-"))
    try:
        knowledge, db = workdir / "knowledge", workdir / "knowledge.db"
        log(f"writing {args.passages:,} passages in {args.documents:,} documents to {knowledge}")
        started = time.perf_counter()
        paragraphs = write_knowledge(knowledge, args.passages, args.documents, args.seed)
        write_s = time.perf_counter() - started
        log(f"written in {write_s:.1f} s")

        built = build(knowledge, db, workdir)
        log(f"built in {built.wall_s:.1f} s, peak RSS {built.peak_rss_mb:,.0f} MB")
        sidecars = sorted(db.parent.glob(f"{db.name}.*.arrays"))
        if len(sidecars) != 1:
            raise SystemExit(f"expected one sidecar beside {db}, found {len(sidecars)}")

        questions_file = workdir / "questions.json"
        questions_file.write_text(json.dumps(make_questions(args.questions + 1, args.seed)), encoding="utf-8")
        args.evicted = evict([db, sidecars[0]])
        runs = []
        for run in range(1, STARTUP_RUNS + 1):
            runs.append(startup(db, questions_file, workdir, run))
            log(f"start-up run {run}: ready in {runs[-1]['ready_s']:.2f} s, VmRSS {runs[-1]['ready']['VmRSS']:,.0f} MB")
        report(args, write_s, paragraphs, built, runs, db, sidecars[0])
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
