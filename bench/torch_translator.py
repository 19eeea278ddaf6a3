#!/usr/bin/python3
"""A fast float32 PyTorch translator for a txc model spec: the end-to-end baseline.

usage: torch_translator.py SPEC [--beam N] [--min-length N] [--max-length N]
           [--length-penalty A] [--threads N] [--runs R] [--report F.json] < ids > ids

Reads source ids per line, writes the generated ids per line (no start token,
no EOS) by DESIGN.md's decoding rules. All lines form one batch: the encoder
pads by length; the decoder keeps a self-attention key/value cache, reordered
by beam origin, and computes the cross-attention keys/values once. Weights are
read straight into fused layouts, each held once. --report writes the load
time, each timed run (after --warmup ones) and the BLAS the process mapped.
"""
import argparse
import json
import math
import os
import statistics
import struct
import sys
import time

import torch
import torch.nn.functional as F

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path[:0] = [os.path.join(REPO, "examples"), os.path.join(REPO, "tests", "numeric")]
from reference_model import sinusoid_table  # noqa: E402
from txc_spec import STACKS, layer_tensors, load_spec, output_tensors, stack_tensors  # noqa: E402

STORAGE_DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2)}
ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu, "swish": F.silu,
               "gelu_tanh": lambda x: F.gelu(x, approximate="tanh")}


class WeightFile:
    """A safetensors file whose tensors are read (as float32) into caller-owned tensors."""

    def __init__(self, path):
        self.file = open(path, "rb")
        (header_len,) = struct.unpack("<Q", self.file.read(8))
        self.header = json.loads(self.file.read(header_len))
        self.data_start = 8 + header_len

    def read_into(self, name, out, first_row=0):
        """Fills `out` (contiguous float32) with rows first_row.. of tensor `name`."""
        entry = self.header[name]
        storage, size = STORAGE_DTYPES[entry["dtype"]]
        row_bytes = math.prod(entry["shape"][1:]) * size
        self.file.seek(self.data_start + entry["data_offsets"][0] + first_row * row_bytes)
        if storage == torch.float32:
            self.file.readinto(memoryview(out.numpy()).cast("B"))
        else:
            raw = bytearray(self.file.read(out.numel() * size))
            out.copy_(torch.frombuffer(raw, dtype=storage).view_as(out))
        return out

    def read(self, name, shape):
        return self.read_into(name, torch.empty(shape))

    def read_transposed(self, name, out, first_row=0, chunk=4096):
        """Fills `out` [cols, n] with rows first_row.. (n of them) of the [rows, cols] tensor
        `name`, transposed, without holding a second copy of the whole tensor."""
        rows = torch.empty(min(chunk, out.shape[1]), out.shape[0])
        for begin in range(0, out.shape[1], chunk):
            count = min(chunk, out.shape[1] - begin)
            out[:, begin:begin + count] = self.read_into(name, rows[:count], first_row + begin).t()
        return out

    def read_linear(self, weight_name, bias_name, shape):
        """A linear layer's (weight, bias) for F.linear, the weight a view of its [in, out] transpose:
        OpenBLAS multiplies by an untransposed matrix faster (up to 2x at 32 rows)."""
        weight_t = self.read_transposed(weight_name, torch.empty(shape[1], shape[0]))
        return weight_t.t(), self.read(bias_name, (shape[0],))


def _projection(roles, attn, part, d):
    """(weight name, bias name, first row) of projection `part` (q|k|v|out) of `attn`."""
    if f"{attn}.{part}.weight" in roles:
        return roles[f"{attn}.{part}.weight"][0], roles[f"{attn}.{part}.bias"][0], 0
    return roles[f"{attn}.in.weight"][0], roles[f"{attn}.in.bias"][0], "qkv".index(part) * d


def _stacked_linear(weights, roles, attn, parts, d):
    """One linear layer computing the projections `parts` side by side (weight held as in read_linear)."""
    weight_t, bias = torch.empty(d, len(parts) * d), torch.empty(len(parts) * d)
    for i, part in enumerate(parts):
        weight_name, bias_name, row = _projection(roles, attn, part, d)
        weights.read_transposed(weight_name, weight_t[:, i * d:(i + 1) * d], row)
        weights.read_into(bias_name, bias[i * d:(i + 1) * d], row)
    return weight_t.t(), bias


def _load_layer(weights, spec, stack, index):
    roles = layer_tensors(spec, stack, index)
    d = spec.d_model
    layer = {"self_qkv": _stacked_linear(weights, roles, "self_attn", "qkv", d),
             "self_out": _stacked_linear(weights, roles, "self_attn", ("out",), d)}
    if stack == "decoder":
        layer["cross_q"] = _stacked_linear(weights, roles, "cross_attn", "q", d)
        layer["cross_kv"] = _stacked_linear(weights, roles, "cross_attn", "kv", d)
        layer["cross_out"] = _stacked_linear(weights, roles, "cross_attn", ("out",), d)
    for role in ("fc1", "fc2"):
        layer[role] = weights.read_linear(roles[f"{role}.weight"][0], roles[f"{role}.bias"][0],
                                          roles[f"{role}.weight"][1])
    for role in ("self_norm", "cross_norm", "ffn_norm"):
        if f"{role}.weight" in roles:
            layer[role] = tuple(weights.read(*roles[f"{role}.{part}"]) for part in ("weight", "bias"))
    return layer


class TorchTranslator:
    """The model of `spec` in float32 with batched encoding and batched greedy/beam search."""

    def __init__(self, spec):
        self.spec = spec
        weights = WeightFile(spec.weights_path)
        shared = "model.shared.weight" in weights.header
        self.outer, self.layers = {}, {}
        for stack in STACKS:
            outer = {}
            # Token tables are held transposed, [d, vocab], for the (tied) output projection.
            for role, (name, shape) in stack_tensors(spec, stack, shared).items():
                if role != "embed":
                    outer[role] = weights.read(name, shape)
                elif shared and stack == "decoder":
                    outer[role] = self.outer["encoder"]["embed"]
                else:
                    outer[role] = weights.read_transposed(name, torch.empty(shape[1], shape[0]))
            for norm in ("embedding_norm", "final_norm"):
                if f"{norm}.weight" in outer:
                    outer[norm] = (outer.pop(f"{norm}.weight"), outer.pop(f"{norm}.bias"))
            if spec.positions == "sinusoidal":
                outer["positions"] = sinusoid_table(spec.max_positions + spec.position_offset,
                                                    spec.d_model, spec.sinusoid_layout).float()
            self.outer[stack] = outer
            count = spec.encoder_layers if stack == "encoder" else spec.decoder_layers
            self.layers[stack] = [_load_layer(weights, spec, stack, i) for i in range(count)]
        output = {role: weights.read_transposed(name, torch.empty(shape[1], shape[0])) if role == "lm_head"
                  else weights.read(name, shape) for role, (name, shape) in output_tensors(spec).items()}
        self.output_weight = (self.outer["decoder"]["embed"] if spec.tie_output else output["lm_head"]).t()
        self.output_bias = output["bias"][0] if spec.output_bias else None
        self.activation = ACTIVATIONS[spec.activation]
        self.heads, self.head_dim = spec.heads, spec.d_model // spec.heads
        self.scale = 1.0 / math.sqrt(self.head_dim)

    def _norm(self, x, params):
        return F.layer_norm(x, (self.spec.d_model,), params[0], params[1], self.spec.layer_norm_eps)

    def _sublayer(self, x, norm, body):
        if self.spec.norm == "post":
            return self._norm(x + body(x), norm)
        return x + body(self._norm(x, norm))

    def _feed_forward(self, x, layer):
        return F.linear(self.activation(F.linear(x, *layer["fc1"])), *layer["fc2"])

    def _attend(self, q, k, v, bias):
        """q [..,H,Tq,hd], k/v [..,H,Tk,hd], bias broadcast to the scores or None."""
        single = q.shape[-2] == 1  # then a product and a sum beat one BLAS call per (row, head)
        scores = (q * k).sum(dim=-1)[..., None, :] if single else torch.matmul(q, k.transpose(-1, -2))
        scores.mul_(self.scale)
        if bias is not None:
            scores += bias
        probs = scores.softmax(dim=-1)
        return (probs.transpose(-1, -2) * v).sum(dim=-2, keepdim=True) if single else torch.matmul(probs, v)

    def _embed(self, stack, ids, first_position):
        outer = self.outer[stack]
        x = outer["embed"].index_select(1, ids.reshape(-1)).t().reshape(*ids.shape, -1)
        if self.spec.scale_embedding:
            x = x * math.sqrt(self.spec.d_model)
        start = first_position + self.spec.position_offset
        x = x + outer["positions"][start:start + ids.shape[-1]]
        return self._norm(x, outer["embedding_norm"]) if self.spec.embedding_norm else x

    def _final(self, x, stack):
        if self.spec.final_norm:
            return self._norm(x, self.outer[stack]["final_norm"])
        return x

    def encode(self, lines):
        """Returns the encoder output [B, S, d] and the key bias [B, 1, 1, S] (-inf past each end)."""
        batch, length = len(lines), max(len(line) for line in lines)
        ids = torch.zeros(batch, length, dtype=torch.long)
        bias = torch.full((batch, 1, 1, length), float("-inf"))
        for row, line in enumerate(lines):
            ids[row, :len(line)] = torch.tensor(line)
            bias[row, ..., :len(line)] = 0.0
        x = self._embed("encoder", ids, 0)
        H, hd = self.heads, self.head_dim
        for layer in self.layers["encoder"]:
            def self_attention(h, layer=layer):
                q, k, v = F.linear(h, *layer["self_qkv"]).view(batch, length, 3, H, hd).permute(2, 0, 3, 1, 4)
                merged = self._attend(q, k, v, bias).transpose(1, 2).reshape(batch, length, -1)
                return F.linear(merged, *layer["self_out"])
            x = self._sublayer(x, layer["self_norm"], self_attention)
            x = self._sublayer(x, layer["ffn_norm"], lambda h, layer=layer: self._feed_forward(h, layer))
        return self._final(x, "encoder"), bias

    def start_decoding(self, memory, bias, rows_per_line, max_length):
        batch, length, _ = memory.shape
        H, hd, cross = self.heads, self.head_dim, []
        for layer in self.layers["decoder"]:
            kv = F.linear(memory, *layer["cross_kv"]).view(batch, length, 2, H, hd).permute(2, 0, 3, 1, 4)
            cross.append((kv[0].contiguous(), kv[1].contiguous()))
        shape = (batch * rows_per_line, H, max_length, hd)
        cache = [(torch.empty(shape), torch.empty(shape)) for _ in self.layers["decoder"]]
        return {"cross": cross, "bias": bias, "cache": cache, "steps": 0, "per_line": rows_per_line}

    def decode_step(self, state, tokens):
        """tokens [rows] (rows of one line adjacent); returns raw logits [rows, target_vocab]."""
        rows, step, per_line = tokens.shape[0], state["steps"], state["per_line"]
        H, hd = self.heads, self.head_dim
        x = self._embed("decoder", tokens[:, None], step)[:, 0]
        for layer, (k_cache, v_cache), (cross_k, cross_v) in zip(
                self.layers["decoder"], state["cache"], state["cross"]):
            def self_attention(h, layer=layer, k_cache=k_cache, v_cache=v_cache):
                q, k, v = F.linear(h, *layer["self_qkv"]).view(rows, 3, H, hd).unbind(1)
                k_cache[:, :, step] = k
                v_cache[:, :, step] = v
                out = self._attend(q[:, :, None], k_cache[:, :, :step + 1], v_cache[:, :, :step + 1], None)
                return F.linear(out.view(rows, -1), *layer["self_out"])

            def cross_attention(h, layer=layer, cross_k=cross_k, cross_v=cross_v):
                # The rows of one line share its keys/values: they form the query axis.
                q = F.linear(h, *layer["cross_q"]).view(-1, per_line, H, hd).transpose(1, 2)
                out = self._attend(q, cross_k, cross_v, state["bias"]).transpose(1, 2)
                return F.linear(out.reshape(rows, -1), *layer["cross_out"])
            x = self._sublayer(x, layer["self_norm"], self_attention)
            x = self._sublayer(x, layer["cross_norm"], cross_attention)
            x = self._sublayer(x, layer["ffn_norm"], lambda h, layer=layer: self._feed_forward(h, layer))
        state["steps"] += 1
        return F.linear(self._final(x, "decoder"), self.output_weight, self.output_bias)

    def _masked(self, logits, step, min_length):
        if step < min_length:
            logits[:, self.spec.eos] = float("-inf")
        return logits

    @torch.inference_mode()
    def greedy(self, lines, min_length, max_length):
        memory, bias = self.encode(lines)
        state = self.start_decoding(memory, bias, 1, max_length)
        tokens = torch.full((len(lines),), self.spec.decoder_start, dtype=torch.long)
        done = torch.zeros(len(lines), dtype=torch.bool)
        chosen = []
        for step in range(max_length):
            tokens = self._masked(self.decode_step(state, tokens), step, min_length).argmax(dim=-1)
            chosen.append(tokens)
            done |= tokens == self.spec.eos
            if bool(done.all()):
                break
        rows = torch.stack(chosen, dim=1).tolist() if chosen else [[] for _ in lines]
        return [row[:row.index(self.spec.eos)] if self.spec.eos in row else row for row in rows]

    @torch.inference_mode()
    def beam_search(self, lines, beam, min_length, max_length, length_penalty):
        """Per line the best hypothesis by score / length^A, earliest finished on ties."""
        batch, vocab, eos = len(lines), self.spec.target_vocab, self.spec.eos
        if max_length == 0:
            return [[] for _ in lines]
        memory, bias = self.encode(lines)
        state = self.start_decoding(memory, bias, beam, max_length)
        scores = torch.full((batch, beam), float("-inf"))
        scores[:, 0] = 0.0  # step 0 expands the single start hypothesis
        tokens = torch.full((batch * beam,), self.spec.decoder_start, dtype=torch.long)
        history = torch.empty(batch, beam, 0, dtype=torch.long)
        finished = [[] for _ in lines]  # (normalised score, tokens) in the order they finished
        base = torch.arange(batch)[:, None] * beam
        for step in range(max_length):
            logits = self._masked(self.decode_step(state, tokens), step, min_length).view(batch, beam, vocab)
            # score + log_softmax(logits), in two passes over the logits instead of four
            candidates = (logits + (scores - logits.logsumexp(dim=-1))[:, :, None]).view(batch, -1)
            # Each hypothesis has one EOS candidate, so 2N candidates hold N non-EOS ones.
            top_scores, top_index = candidates.topk(2 * beam, dim=-1)
            is_eos = top_index % vocab == eos
            searching = [len(f) < beam for f in finished]
            for line, rank in (is_eos[:, :beam]).nonzero().tolist():
                if searching[line]:
                    row = int(top_index[line, rank]) // vocab
                    finished[line].append((float(top_scores[line, rank]) / (step + 1) ** length_penalty,
                                           history[line, row].tolist()))
            keep = torch.sort(is_eos.to(torch.int8), dim=-1, stable=True).indices[:, :beam]
            scores, chosen = top_scores.gather(1, keep), top_index.gather(1, keep)
            origin, next_tokens = chosen // vocab, chosen % vocab
            history = torch.cat([history.gather(1, origin[:, :, None].expand_as(history)),
                                 next_tokens[:, :, None]], dim=2)
            if all(len(f) >= beam for f in finished):
                break
            rows = (base + origin).view(-1)
            for cache in (part for pair in state["cache"] for part in pair):
                cache[:, :, :step + 1] = cache[:, :, :step + 1].index_select(0, rows)
            tokens = next_tokens.view(-1)
        else:
            for line in range(batch):
                if len(finished[line]) < beam:
                    finished[line] += [(float(s) / max_length ** length_penalty, h)
                                       for s, h in zip(scores[line], history[line].tolist())]
        best = [max(range(len(f)), key=lambda i, f=f: (f[i][0], -i)) for f in finished]
        return [f[i][1] for f, i in zip(finished, best)]

    def translate(self, lines, beam, min_length, max_length, length_penalty=1.0):
        if beam == 1:
            return self.greedy(lines, min_length, max_length)
        return self.beam_search(lines, beam, min_length, max_length, length_penalty)


def mapped_libraries(word):
    """Paths of the shared objects this process has mapped whose name contains `word`."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "/" in line}
    return sorted(p for p in paths if word in os.path.basename(p))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("spec")
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--min-length", type=int, default=0)
    parser.add_argument("--max-length", type=int, default=None, help="default: max_positions")
    parser.add_argument("--length-penalty", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="timed translations")
    parser.add_argument("--warmup", type=int, default=0, help="untimed translations first")
    parser.add_argument("--report", metavar="F.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    spec = load_spec(args.spec)
    max_length = spec.max_positions if args.max_length is None else args.max_length
    started = time.perf_counter()
    translator = TorchTranslator(spec)
    load_seconds = time.perf_counter() - started
    lines = [[int(t) for t in line.split()] for line in sys.stdin.read().splitlines()]
    if any(not line for line in lines):
        print("torch_translator: empty input lines are not supported", file=sys.stderr)
        return 2
    seconds = []
    for _ in range(args.warmup + args.runs):
        started = time.perf_counter()
        results = translator.translate(lines, args.beam, args.min_length, max_length, args.length_penalty)
        seconds.append(time.perf_counter() - started)
    timed = seconds[args.warmup:]
    for tokens in results:
        print(" ".join(map(str, tokens)))
    if args.report:
        with open(args.report, "w") as report:
            json.dump({"load_seconds": load_seconds, "run_seconds": timed,
                       "median_seconds": statistics.median(timed), "threads": torch.get_num_threads(),
                       "blas": mapped_libraries("blas"), "openmp": mapped_libraries("omp")}, report, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
