#!/usr/bin/python3
"""Translates id lines with the independent float64 PyTorch reference of a txc spec.

usage: torch_reference.py SPEC --ids [--beam N] [--min-length N] [--max-length N]
           [--length-penalty A] [--n-best N] [--dump-logits F.npy] [--dump-encoder F.npy]
           [--no-cross-check] [--print-margin] [--float32] < ids > ids

Reads space-separated source ids per line from stdin and writes the generated
ids per line (no start token, no EOS), like `txc run SPEC --reference --ids`.
A bad line gets a message on stderr and an empty output line; the exit status
is then 1. Every run also checks the reference against torch.nn.Transformer on
the lines it translated (exit status 3 if they disagree).
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))
from reference_model import ReferenceTransformer  # noqa: E402
from reference_search import beam_search, greedy  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402
from torch_transformer_check import cross_check  # noqa: E402
from txc_spec import load_spec  # noqa: E402

ENCODE_BATCH = 64


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("spec")
    parser.add_argument("--ids", action="store_true", required=True, help="input and output are token ids")
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--min-length", type=int, default=0)
    parser.add_argument("--max-length", type=int, default=None, help="default: max_positions")
    parser.add_argument("--length-penalty", type=float, default=1.0)
    parser.add_argument("--n-best", type=int, default=1,
                        help="print this many final hypotheses, best first, joined by ' ||| '")
    parser.add_argument("--dump-logits", metavar="F.npy")
    parser.add_argument("--dump-encoder", metavar="F.npy")
    parser.add_argument("--no-cross-check", action="store_true", help="skip the nn.Transformer check")
    parser.add_argument("--print-margin", action="store_true",
                        help="print the smallest decision margin of the search to stderr")
    parser.add_argument("--float32", action="store_true",
                        help="compute in float32 instead of float64 (no cross-check), to see "
                             "how far a float32 implementation strays from the oracle")
    return parser.parse_args(argv)


def check_flags(args, spec):
    """Returns an error message for flags the decoding rules reject, else None."""
    if args.max_length is None:
        args.max_length = spec.max_positions
    if args.beam < 1:
        return f"--beam must be at least 1, got {args.beam}"
    if args.min_length < 0 or args.max_length < 0:
        return "--min-length and --max-length must not be negative"
    if args.max_length > spec.max_positions:
        return f"--max-length {args.max_length} exceeds max_positions {spec.max_positions}"
    if args.dump_logits and (args.beam != 1 or args.min_length != args.max_length):
        return "--dump-logits needs --beam 1 and --min-length equal to --max-length"
    return None


def parse_line(raw, number, spec):
    """Returns (ids, None) or (None, message) for one input line (bytes, no newline)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, f"line {number}: invalid UTF-8"
    ids = []
    for token in text.split():
        if not (token.isascii() and token.isdigit()):
            return None, f"line {number}: {token!r} is not a token id"
        if int(token) >= spec.source_vocab:
            return None, f"line {number}: id {token} is not below source_vocab {spec.source_vocab}"
        ids.append(int(token))
    if len(ids) > spec.max_positions:
        return None, f"line {number}: {len(ids)} ids exceed max_positions {spec.max_positions}"
    return ids, None


def read_lines(stream, spec):
    data = stream.read()
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    lines, bad = [], 0
    for number, raw in enumerate(raw_lines, start=1):
        ids, message = parse_line(raw, number, spec)
        if message:
            print(f"torch_reference: {message}", file=sys.stderr)
            bad += 1
        lines.append(ids or [])
    return lines, bad


def encode_all(model, lines):
    """Per line: its encoder output [len, d] (None for empty lines), in padded batches."""
    memories = [None] * len(lines)
    rows = [i for i, line in enumerate(lines) if line]
    for begin in range(0, len(rows), ENCODE_BATCH):
        batch = rows[begin:begin + ENCODE_BATCH]
        memory, _ = model.encode([lines[i] for i in batch])
        for slot, row in enumerate(batch):
            memories[row] = memory[slot, :len(lines[row])]
    return memories


def translate(model, memories, args):
    spec = model.spec
    results = []
    for memory in memories:
        if memory is None:
            results.append(None)
        elif args.beam == 1:
            results.append(greedy(model, memory[None], spec, args.min_length, args.max_length))
        else:
            results.append(beam_search(model, memory[None], spec, args.beam, args.min_length,
                                       args.max_length, args.length_penalty))
    return results


def write_dumps(args, spec, lines, memories, results):
    if args.dump_encoder:
        width = max((len(line) for line in lines), default=0)
        encoder = np.zeros((len(lines), width, spec.d_model), dtype=np.float32)
        for row, memory in enumerate(memories):
            if memory is not None:
                encoder[row, :memory.shape[0]] = memory.numpy()
        np.save(args.dump_encoder, encoder)
    if args.dump_logits:
        logits = np.zeros((len(lines), args.max_length, spec.target_vocab), dtype=np.float32)
        for row, result in enumerate(results):
            if result is not None and result.step_logits:
                logits[row, :len(result.step_logits)] = np.stack(result.step_logits)
        np.save(args.dump_logits, logits)


def main(argv=None):
    args = parse_args(argv)
    try:
        spec = load_spec(args.spec)
        tensors, _ = read_safetensors(spec.weights_path)
        model = ReferenceTransformer(spec, tensors, torch.float32 if args.float32 else torch.float64)
    except (OSError, ValueError) as err:
        print(f"torch_reference: {err}", file=sys.stderr)
        return 2
    message = check_flags(args, spec)
    if message:
        print(f"torch_reference: {message}", file=sys.stderr)
        return 2
    torch.set_grad_enabled(False)
    lines, bad = read_lines(sys.stdin.buffer, spec)
    memories = encode_all(model, lines)
    results = translate(model, memories, args)
    write_dumps(args, spec, lines, memories, results)
    hypotheses = [r.hypotheses[: args.beam] if r else [[]] for r in results]
    for best_first in hypotheses:
        shown = best_first[:max(1, args.n_best)]
        print(" ||| ".join(" ".join(map(str, tokens)) for tokens in shown))
    sys.stdout.flush()
    if args.print_margin:
        margin = min((r.margin for r in results if r), default=float("inf"))
        print(f"margin {margin:.6g}", file=sys.stderr)
    if not (args.no_cross_check or args.float32):
        try:
            cross_check(model, tensors, lines, [h[0] for h in hypotheses])
        except AssertionError as err:
            print(f"torch_reference: {err}", file=sys.stderr)
            return 3
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
