#!/usr/bin/python3
"""End-to-end benchmark: a txc-compiled `translate` against a float32 PyTorch translator.

usage: translate_bench.py [--build DIR] [--runs 5] [--workdir DIR] [--threads 2]

Compiles examples/base (Transformer-base; random weights with seed 1, made when
absent) with BUILD/tools/txc, makes 32 seeded random source lines of 20-40 ids,
and translates them with exactly 32 target tokens each, greedy and with beam 4.
Each configuration runs in rounds, one txc run and one PyTorch run a round, so
the two sides of a round see the machine in the same state (its speed drifts
over tens of seconds); the ratio reported is the median of the rounds' ratios.
`translate` runs once to warm up first; its time is the process's wall time,
start-up and model loading included (a one-line, one-token run shows about how
much). bench/torch_translator.py runs in its own process each round with OpenMP
OpenBLAS, warms up once and times one translation itself, loading excluded.
Times are medians of the rounds; peak RSS is the whole process's. Two threads on
two cores slow down badly when anything else runs, so the report says how much
CPU other processes took meanwhile. Exit status 1 if greedy ids disagree.
"""
import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(REPO, "examples", "base", "model.toml")
WEIGHTS = os.path.join(REPO, "examples", "base", "model.safetensors")
PYTHON = "/usr/bin/python3"  # Debian's interpreter: the one with numpy and torch
OPENMP_OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
SEED = 1
LINES, MIN_IDS, MAX_IDS, FIRST_ID, VOCAB = 32, 20, 40, 4, 32000
TARGET_TOKENS = 32
CONFIGS = (("greedy", 1), ("beam 4", 4))
TARGET_SPEEDUP, TARGET_RSS_MIB = 2.0, 400.0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--build", default=os.path.join(REPO, "build"), help="build dir holding tools/txc")
    parser.add_argument("--runs", type=int, default=5, help="rounds per configuration (at least 5)")
    parser.add_argument("--workdir", default="/tmp/txc-translate-bench")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs must be at least 5")
    return args


def weights_seed(path):
    """The seed recorded in the metadata of a make_random_weights.py file, or None."""
    with open(path, "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    return header.get("__metadata__", {}).get("seed")


def ensure_weights():
    if os.path.exists(WEIGHTS) and weights_seed(WEIGHTS) == str(SEED):
        return
    print(f"writing {WEIGHTS} (seed {SEED})", flush=True)
    subprocess.run([PYTHON, os.path.join(REPO, "examples", "make_random_weights.py"), SPEC,
                    "--seed", str(SEED)], check=True)


def write_sources(workdir):
    """Writes src.ids (the benchmark's lines) and one-line.ids (its first line); returns src.ids."""
    rng = random.Random(SEED)
    lines = [" ".join(str(rng.randrange(FIRST_ID, VOCAB)) for _ in range(rng.randint(MIN_IDS, MAX_IDS)))
             for _ in range(LINES)]
    for name, count in (("src.ids", LINES), ("one-line.ids", 1)):
        with open(os.path.join(workdir, name), "w") as out:
            out.write("".join(line + "\n" for line in lines[:count]))
    return os.path.join(workdir, "src.ids")


def run_measured(command, stdin_path, stdout_path, env=None):
    """Runs `command`; returns (wall seconds, peak RSS MiB) of that process alone."""
    with open(stdin_path, "rb") as source, open(stdout_path, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdin=source, stdout=out, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with status {process.returncode}")
    return seconds, usage.ru_maxrss / 1024.0  # ru_maxrss is in KiB on Linux


def torch_environment(threads):
    """OpenMP OpenBLAS with one OpenMP team of `threads`; AVX-512 kernels where the CPU has them."""
    if not os.path.exists(os.path.join(OPENMP_OPENBLAS, "libblas.so.3")):
        sys.exit(f"translate_bench: {OPENMP_OPENBLAS}/libblas.so.3 is missing "
                 "(install libopenblas0-openmp)")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), LD_LIBRARY_PATH=OPENMP_OPENBLAS)
    with open("/proc/cpuinfo") as cpuinfo:
        if " avx512f" in cpuinfo.read():
            env["OPENBLAS_CORETYPE"] = "SkylakeX"
    return env


def decoding_flags(beam, tokens=TARGET_TOKENS):
    return ["--beam", str(beam), "--min-length", str(tokens), "--max-length", str(tokens)]


class OtherCpu:
    """Measures the share of the machine's CPU time that processes other than this
    script's children used (or a hypervisor stole) between start() and stop()."""

    @staticmethod
    def _snapshot():
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:9]]
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle, iowait
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return busy - children.ru_utime - children.ru_stime, time.perf_counter()

    def start(self):
        self.begin = self._snapshot()
        return self

    def stop(self):
        (busy0, t0), (busy1, t1) = self.begin, self._snapshot()
        return max(0.0, (busy1 - busy0) / ((t1 - t0) * os.cpu_count()))


def bench_config(out_dir, sources, beam, args):
    """Runs `rounds` of (txc, PyTorch) for one configuration; returns (txc, torch, round ratios)."""
    translate = [os.path.join(out_dir, "translate"), "--ids", "--batch-size", str(LINES),
                 "--threads", str(args.threads)]
    txc_ids = os.path.join(args.workdir, f"txc-beam{beam}.ids")
    torch_ids = os.path.join(args.workdir, f"torch-beam{beam}.ids")
    report = os.path.join(args.workdir, f"torch-beam{beam}.json")
    torch_command = [PYTHON, os.path.join(REPO, "bench", "torch_translator.py"), SPEC, *decoding_flags(beam),
                     "--threads", str(args.threads), "--warmup", "1", "--runs", "1", "--report", report]
    torch_env = torch_environment(args.threads)
    run_measured(translate + decoding_flags(beam), sources, txc_ids)  # warm-up
    txc_runs, torch_runs, timings = [], [], []
    other = OtherCpu().start()
    for _ in range(args.runs):
        txc_runs.append(run_measured(translate + decoding_flags(beam), sources, txc_ids))
        torch_runs.append(run_measured(torch_command, sources, torch_ids, torch_env))
        with open(report) as f:
            timings.append(json.load(f))
    other = other.stop()
    blas = timings[-1]["blas"]
    if not any(path.startswith(OPENMP_OPENBLAS) for path in blas):
        sys.exit(f"translate_bench: PyTorch did not load OpenMP OpenBLAS: {blas}")
    one_line = os.path.join(args.workdir, "one-line.ids")  # start-up and model loading
    startup = [run_measured(translate + decoding_flags(beam, 1), one_line, os.devnull)[0]
               for _ in range(args.runs)]
    txc_seconds = [s for s, _ in txc_runs]
    torch_seconds = [t["run_seconds"][0] for t in timings]
    txc = {"seconds": statistics.median(txc_seconds), "all": txc_seconds, "rss": max(r for _, r in txc_runs),
           "startup_seconds": statistics.median(startup), "ids": read_ids(txc_ids)}
    torch_run = {"seconds": statistics.median(torch_seconds), "all": torch_seconds,
                 "rss": max(r for _, r in torch_runs), "blas": blas,
                 "load_seconds": statistics.median(t["load_seconds"] for t in timings), "ids": read_ids(torch_ids)}
    ratios = [t / x for t, x in zip(torch_seconds, txc_seconds)]
    return txc, torch_run, {"ratios": ratios, "other_cpu": other}


def read_ids(path):
    with open(path) as f:
        return [line.split() for line in f.read().splitlines()]


def agreement(first, second):
    """(identical lines, agreeing tokens, tokens): tokens compared position by position."""
    lines = sum(a == b for a, b in zip(first, second))
    same = sum(x == y for a, b in zip(first, second) for x, y in zip(a, b))
    total = sum(max(len(a), len(b)) for a, b in zip(first, second))
    return lines, same, total


def print_report(results, args):
    tokens = LINES * TARGET_TOKENS
    print(f"\n{LINES} lines x {TARGET_TOKENS} target tokens, --threads {args.threads}, "
          f"{args.runs} rounds of one txc run and one PyTorch run, each after a warm-up")
    header = ("config", "txc tok/s", "torch tok/s", "txc/torch", "txc RSS MiB", "torch RSS MiB", "ids agree")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for name, txc, torch_run, rounds, (lines, same, total) in results:
        print(f"| {name} | {tokens / txc['seconds']:.1f} | {tokens / torch_run['seconds']:.1f} | "
              f"{statistics.median(rounds['ratios']):.2f}x | {txc['rss']:.0f} | {torch_run['rss']:.0f} | "
              f"{lines}/{LINES} lines, {100.0 * same / max(total, 1):.1f}% tokens |")
    print("\ntxc: wall time of whole `translate` processes (start-up + model loading + translation);"
          "\ntorch: the translation loop alone (encoder + search), timed inside the process.")
    busiest = 0.0
    spread = lambda run: f"{run['seconds']:.3f} s (runs {min(run['all']):.3f}-{max(run['all']):.3f})"  # noqa: E731
    for name, txc, torch_run, rounds, _ in results:
        startup = txc["startup_seconds"]
        print(f"  {name}: txc {spread(txc)}, start-up + loading ~{startup:.3f} s of it (one line, one "
              f"token; without it {tokens / max(txc['seconds'] - startup, 1e-9):.1f} tok/s); "
              f"torch {spread(torch_run)} + {torch_run['load_seconds']:.2f} s loading, untimed")
        print(f"  {name}: ratio of each round {', '.join(f'{r:.2f}' for r in rounds['ratios'])}; "
              f"other processes took {100 * rounds['other_cpu']:.0f}% of the CPUs meanwhile")
        busiest = max(busiest, rounds["other_cpu"])
    if busiest > 0.05:
        print("WARNING: the machine was busy; two-thread timings (PyTorch's OpenMP most) are unreliable. "
              "Rerun when it is idle.")
    print(f"torch BLAS: {', '.join(results[0][2]['blas'])}\n")
    ratios = {name: statistics.median(rounds["ratios"]) for name, _, _, rounds, _ in results}
    greedy_rss = results[0][1]["rss"]
    targets = ((f"greedy >= {TARGET_SPEEDUP:.1f}x PyTorch", ratios["greedy"] >= TARGET_SPEEDUP,
                f"{ratios['greedy']:.2f}x"),
               (f"beam 4 >= {TARGET_SPEEDUP:.1f}x PyTorch", ratios["beam 4"] >= TARGET_SPEEDUP,
                f"{ratios['beam 4']:.2f}x"),
               (f"peak RSS greedy <= {TARGET_RSS_MIB:.0f} MiB", greedy_rss <= TARGET_RSS_MIB,
                f"{greedy_rss:.0f} MiB"))
    for text, passed, value in targets:
        print(f"{'PASS' if passed else 'MISS'}  {text}  ({value})")


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    ensure_weights()
    out_dir = os.path.join(args.workdir, "base")
    subprocess.run([os.path.join(args.build, "tools", "txc"), "compile", SPEC, "-o", out_dir], check=True)
    sources = write_sources(args.workdir)
    results = []
    for name, beam in CONFIGS:
        print(f"running {name} ...", flush=True)
        txc, torch_run, rounds = bench_config(out_dir, sources, beam, args)
        results.append((name, txc, torch_run, rounds, agreement(txc["ids"], torch_run["ids"])))
    print_report(results, args)
    greedy_lines = results[0][4][0]
    if greedy_lines != LINES:
        print(f"translate_bench: greedy ids differ on {LINES - greedy_lines} of {LINES} lines", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
