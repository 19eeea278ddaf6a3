#!/usr/bin/python3
"""Compares `txc run --reference` with the PyTorch oracle on one model variant.

usage: oracle_test.py --variant NAME --workdir DIR (--txc PATH | --self-check)
                      [--compiled TARGET[,TARGET...]]
       oracle_test.py --list

Writes the variant's spec, random weights and source lines into DIR, then runs
torch_reference.py and `txc run SPEC --reference --ids` with the same flags and
checks: encoder outputs and forced-length greedy step logits within 1e-4
(relative to max(1, |value|)), and identical ids from greedy and beam-4 n-best
search, with forced length, free, and with a minimum length.
--compiled also compiles the model with `txc compile` for each target and
runs the generated `translate` with the same flags, held to the same checks
(but for the encoder dump, which only the reference driver has).
--self-check runs only the reference and checks that the variant makes a
meaningful test: decisions are not near ties, greedy output does not collapse
into one repeated token, logits stay moderate, EOS occurs where the variant
asks for it, the dumps are consistent with the ids, and the reference computed
in float32 passes the comparisons at half the tolerance.
"""
import argparse
import os
import random
import subprocess
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from oracle_variants import VARIANTS, variant_spec_text  # noqa: E402

EXAMPLES = os.path.join(HERE, "..", "..", "examples")
sys.path.insert(0, EXAMPLES)
from txc_spec import load_spec  # noqa: E402

TOLERANCE = 1e-4
FORCED_STEPS = 8
SOURCE_LINES = 8
FREE_MAX_LENGTH = 16
MIN_MARGIN = 2e-4  # decisions closer than this could flip under float32 rounding

# name -> (flags, dumps): the runs both sides make.
RUNS = {
    "forced_greedy": (["--beam", "1", "--min-length", str(FORCED_STEPS), "--max-length", str(FORCED_STEPS)],
                      ("encoder", "logits")),
    "greedy": (["--beam", "1", "--max-length", str(FREE_MAX_LENGTH)], ()),
    "forced_beam_nbest": (["--beam", "4", "--min-length", "6", "--max-length", "6", "--n-best", "4"], ()),
    "beam_nbest": (["--beam", "4", "--max-length", str(FREE_MAX_LENGTH), "--length-penalty", "0.6",
                    "--n-best", "4"], ()),
    "greedy_min_length": (["--beam", "1", "--min-length", "4", "--max-length", str(FREE_MAX_LENGTH)], ()),
    "beam_min_length_nbest": (["--beam", "4", "--min-length", "4", "--max-length", str(FREE_MAX_LENGTH),
                               "--n-best", "4"], ()),
}


class Outcome:
    def __init__(self, name, stdout, dumps, margin=None):
        self.name, self.dumps, self.margin = name, dumps, margin
        self.lines = stdout.split("\n")[:-1] if stdout.endswith("\n") else stdout.split("\n")


def prepare(variant, workdir, seed=None):
    """Writes spec, weights and source lines; returns (spec path, source path, source lines)."""
    settings = VARIANTS[variant]
    seed = settings["seed"] if seed is None else seed
    os.makedirs(workdir, exist_ok=True)
    spec_path = os.path.join(workdir, "model.toml")
    with open(spec_path, "w") as f:
        f.write(variant_spec_text(variant))
    subprocess.run([sys.executable, os.path.join(EXAMPLES, "make_random_weights.py"), spec_path,
                    "--seed", str(seed), "--dtype", settings["dtype"], "--eos-bias", str(settings["eos_bias"])],
                   check=True, stdout=subprocess.DEVNULL)
    source_vocab = settings["architecture"]["source_vocab"]
    rng = random.Random(zlib.crc32(variant.encode()))
    lengths = [1, 20] + [rng.randint(1, 20) for _ in range(SOURCE_LINES - 2)]
    lines = [[rng.randrange(4, source_vocab) for _ in range(n)] for n in lengths]
    source_path = os.path.join(workdir, "source.ids")
    with open(source_path, "w") as f:
        f.writelines(" ".join(map(str, line)) + "\n" for line in lines)
    return spec_path, source_path, lines


def run(command_prefix, name, spec_path, source_path, workdir, side):
    """Runs one side (`side` names the dump files); returns an Outcome or raises RuntimeError."""
    flags, dumps = RUNS[name]
    paths = {dump: os.path.join(workdir, f"{name}.{dump}.{side}.npy") for dump in dumps}
    command = command_prefix + [spec_path] + (["--reference"] if side == "txc" else []) + ["--ids"] + flags
    for dump, path in paths.items():
        command += [f"--dump-{dump}", path]
        if os.path.exists(path):
            os.remove(path)  # a stale dump must not pass for a new one
    if side == "reference":
        command.append("--print-margin")
    try:
        with open(source_path, "rb") as source:
            done = subprocess.run(command, stdin=source, capture_output=True, text=True)
    except OSError as err:
        raise RuntimeError(f"cannot run {command[0]}: {err}") from err
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} < {source_path} exited with {done.returncode}:\n"
                           f"{done.stderr.strip()}")
    missing = [path for path in paths.values() if not os.path.exists(path)]
    if missing:
        raise RuntimeError(f"{' '.join(command)} did not write {', '.join(missing)}")
    margin = None
    for line in done.stderr.splitlines():
        if line.startswith("margin "):
            margin = float(line.split()[1])
    return Outcome(name, done.stdout, {dump: np.load(path) for dump, path in paths.items()}, margin)


def run_translate(translate, name, source_path, workdir, side):
    """Runs a generated translate binary like `txc run` for one RUNS entry."""
    flags, dumps = RUNS[name]
    command = [translate, "--ids"] + flags
    paths = {}
    if "logits" in dumps:
        paths["logits"] = os.path.join(workdir, f"{name}.logits.{side}.npy")
        command += ["--dump-logits", paths["logits"]]
    with open(source_path, "rb") as source:
        done = subprocess.run(command, stdin=source, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} < {source_path} exited with {done.returncode}:\n"
                           f"{done.stderr.strip()}")
    return Outcome(name, done.stdout, {dump: np.load(path) for dump, path in paths.items()})


def compile_model(txc, spec_path, workdir, target):
    """`txc compile` for `target`; returns the path of the generated translate."""
    out = os.path.join(workdir, f"compiled-{target}")
    done = subprocess.run([txc, "compile", spec_path, "--target", target, "-o", out + "/"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"txc compile --target {target} failed:\n{done.stderr.strip()}")
    return os.path.join(out, "translate")


def compare_arrays(label, expected, actual, tolerance, other):
    """Returns a list of failure messages (empty when within tolerance)."""
    if expected.shape != actual.shape:
        return [f"{label}: shape {list(actual.shape)}, reference {list(expected.shape)}"]
    error = np.abs(actual.astype(np.float64) - expected) / np.maximum(1.0, np.abs(expected))
    bad = error > tolerance
    if not bad.any() and np.isfinite(actual).all():
        return []
    worst = np.unravel_index(np.nanargmax(np.where(np.isfinite(error), error, np.inf)), error.shape)
    return [f"{label}: {int(bad.sum())} of {error.size} values off by more than {tolerance} "
            f"(or not finite); worst at index {tuple(int(i) for i in worst)}: {other} {actual[worst]!r}, "
            f"reference {expected[worst]!r}"]


def compare_lines(label, expected, actual, other):
    if len(expected) != len(actual):
        return [f"{label}: {other} printed {len(actual)} lines, reference {len(expected)}"]
    failures = []
    for number, (want, got) in enumerate(zip(expected, actual), start=1):
        if want != got:
            w, g = want.split(), got.split()
            first = next((i for i, (a, b) in enumerate(zip(w, g)) if a != b), min(len(w), len(g)))
            failures.append(f"{label}: line {number} differs at token {first}:\n"
                            f"    reference: {want}\n    {other + ':':11}{got}")
    return failures


def compare(expected, actual, tolerance=TOLERANCE, other="txc"):
    """Failure messages for `actual` (printed as `other`) against the reference."""
    failures = compare_lines(expected.name, expected.lines, actual.lines, other)
    for dump, array in expected.dumps.items():
        if dump not in actual.dumps:
            continue
        failures += compare_arrays(f"{expected.name} --dump-{dump}", array, actual.dumps[dump], tolerance, other)
    if failures and expected.margin is not None and expected.margin < MIN_MARGIN:
        failures.append(f"{expected.name}: note: the reference's closest decision margin is "
                        f"{expected.margin:.3g}, so a float32 near tie may explain an id mismatch")
    return failures


def self_check(outcome, sources, spec, eos_bias):
    """Checks that the reference's result makes a meaningful comparison."""
    failures = []
    if len(outcome.lines) != len(sources):
        return [f"{outcome.name}: {len(outcome.lines)} output lines for {len(sources)} inputs"]
    if outcome.margin is not None and outcome.margin < MIN_MARGIN:
        failures.append(f"{outcome.name}: closest decision margin {outcome.margin:.3g} < {MIN_MARGIN}; "
                        "pick another seed")
    outputs = [line.split(" ||| ") for line in outcome.lines]
    if outcome.name == "forced_greedy":
        encoder, logits = outcome.dumps["encoder"], outcome.dumps["logits"]
        for row, source in enumerate(sources):
            if np.any(encoder[row, len(source):]) or not np.all(np.any(encoder[row, :len(source)], axis=1)):
                failures.append(f"encoder dump: line {row + 1} rows are not exactly its {len(source)} ids")
        ids = [[int(t) for t in hyps[0].split()] for hyps in outputs]
        masked = logits.copy()
        masked[:, :, spec.eos] = -np.inf  # below min-length EOS never wins
        if any(len(line) != FORCED_STEPS for line in ids) or np.any(masked.argmax(-1) != np.array(ids)):
            failures.append("forced greedy ids are not the argmax of the dumped logits")
        if np.percentile(np.abs(logits), 99) > 20 or np.abs(logits).max() > 40:
            failures.append(f"logits too large: max |logit| {np.abs(logits).max():.1f}")
    if outcome.name == "greedy":
        ids = [hyps[0].split() for hyps in outputs]
        collapsed = sum(1 for line in ids if len(line) >= 4 and len(set(line)) == 1)
        if collapsed > len(ids) // 4 or len({t for line in ids for t in line}) < 8:
            failures.append(f"greedy output collapses: {collapsed} lines repeat one token; {ids}")
        ended = sum(1 for line in ids if len(line) < FREE_MAX_LENGTH)
        if eos_bias and ended < 2:
            failures.append(f"greedy: only {ended} lines end at EOS; a larger eos_bias exercises EOS")
    if outcome.name == "greedy_min_length":
        if any(len(hyps[0].split()) < 4 for hyps in outputs):
            failures.append("greedy with --min-length 4 gave a shorter output")
    if outcome.name == "forced_beam_nbest":
        for number, hyps in enumerate(outputs, start=1):
            if len(hyps) != 4 or len(set(hyps)) != 4 or any(len(h.split()) != 6 for h in hyps):
                failures.append(f"forced beam: line {number} is not 4 distinct 6-token hypotheses: {hyps}")
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--variant", choices=sorted(VARIANTS))
    parser.add_argument("--workdir")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--txc", help="path of the txc driver")
    mode.add_argument("--self-check", action="store_true", help="run only the reference")
    mode.add_argument("--list", action="store_true", help="print the variant names")
    parser.add_argument("--seed", type=int, help="weights seed instead of the variant's")
    parser.add_argument("--compiled", default="",
                        help="comma-separated targets to compile and run translate for")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(VARIANTS))
        return 0
    if not (args.variant and args.workdir and (args.txc or args.self_check)):
        parser.error("--variant, --workdir and one of --txc / --self-check are required")
    spec_path, source_path, sources = prepare(args.variant, args.workdir, args.seed)
    reference = [sys.executable, os.path.join(HERE, "torch_reference.py")]
    failures = []
    translators = {}
    for target in filter(None, args.compiled.split(",")):
        try:
            translators[target] = compile_model(args.txc, spec_path, args.workdir, target)
        except RuntimeError as err:
            failures.append(str(err))
    for name in RUNS:
        try:
            expected = run(reference, name, spec_path, source_path, args.workdir, "reference")
            if args.self_check:
                problems = self_check(expected, sources, load_spec(spec_path),
                                      VARIANTS[args.variant]["eos_bias"])
                # An exact float32 implementation must pass with room to spare.
                float32 = run(reference + ["--float32"], name, spec_path, source_path, args.workdir, "float32")
                problems += compare(expected, float32, TOLERANCE / 2, "float32")
            else:
                problems = compare(expected, run([args.txc, "run"], name, spec_path, source_path,
                                                 args.workdir, "txc"))
                for target, translate in translators.items():
                    side = f"translate-{target}"
                    problems += compare(expected, run_translate(translate, name, source_path,
                                                                args.workdir, side), other=side)
        except RuntimeError as err:
            problems = [f"{name}: {err}"]
        print(f"{'FAIL' if problems else 'ok  '} {args.variant} {name}")
        failures += problems
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
