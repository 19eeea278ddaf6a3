#!/usr/bin/python3
"""Writes random weights for a txc model spec.

usage: make_random_weights.py SPEC.toml [--seed N] [--scale S] [--dtype F32|F16|BF16]
                              [--eos-bias B]

Writes the safetensors file named by the spec's [weights] file (relative to the
spec) with exactly the tensors the spec's architecture reads, under its "hf" or
"torch" names. Every tensor is drawn from a generator seeded by (seed, tensor
name), so a seed always gives the same file. The initialisation is scaled so
that random models neither collapse into repeating one token under greedy
decoding nor produce huge logits: sub-layers are strong enough to move the
residual stream away from the input token, and the output projection keeps
logits at a standard deviation of a few units.
"""
import argparse
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import STORAGE_DTYPES, write_safetensors  # noqa: E402
from txc_spec import (STACKS, layer_tensors, load_spec, output_tensors,  # noqa: E402
                      stack_tensors, uses_shared_embedding)

# Standard deviation of embeddings and of the untied output projection, times
# sqrt(d_model): logits then have a standard deviation of about this much.
OUTPUT_STD = 3.0
# Per-role gains of linear layers, as multiples of 1/sqrt(fan_in). Strong
# self-attention and feed-forward sub-layers and a milder cross-attention keep
# each step's output from being mostly the same summary of the source, which
# makes greedy decoding repeat one token. Sharper attention (larger q/k gains)
# would repeat less but makes the model so sensitive that float32 rounding
# moves its logits by more than the 1e-4 that the numeric tests allow.
LINEAR_GAINS = {"self_attn.q": 1.3, "self_attn.k": 1.3, "self_attn.v": 1.0, "self_attn.out": 1.6,
                "cross_attn.q": 1.3, "cross_attn.k": 1.3, "cross_attn.v": 0.7, "cross_attn.out": 0.8,
                "fc1": 2.0, "fc2": 2.5}
# Roles whose output is added to the residual stream.
RESIDUAL_OUTPUTS = ("self_attn.out", "cross_attn.out", "fc2")
# With pre-norm and a tied output, the input embedding runs through the residual
# stream to the output projection, where it raises the input token's own logit
# by about (its RMS in the stream) * sqrt(d_model) / (the stream's RMS) standard
# deviations: the sub-layers must make the stream large enough to keep that
# below PRE_NORM_SELF_BIAS, or greedy decoding repeats its input.
PRE_NORM_SELF_BIAS = 0.5
# Even so, such models repeat less with sub-layer outputs at least this much stronger.
PRE_NORM_MIN_BOOST = 2.0
# The gains above suit stacks of this many layers; deeper stacks scale their
# residual outputs by sqrt(TUNED_LAYERS / layers), or the decoder forgets its
# input token on the way up and repeats itself.
TUNED_LAYERS = 2
# Biases and LayerNorm shifts add the same vector at every step: keep them small.
BIAS_STD = 0.05
NORM_STD = 0.1


def _depth_factor(spec, stack):
    layers = spec.encoder_layers if stack == "encoder" else spec.decoder_layers
    return min(1.0, np.sqrt(TUNED_LAYERS / layers))


def _stream_rms(spec, stack, boost):
    """Measured: each layer adds about 4x the squared output gains of its sub-layers
    to the variance of a pre-norm residual stream (the embedding adds about 1)."""
    layers = spec.encoder_layers if stack == "encoder" else spec.decoder_layers
    per_layer = 4.0 * sum((LINEAR_GAINS[r] * _depth_factor(spec, stack) * boost) ** 2
                          for r in RESIDUAL_OUTPUTS)
    return np.sqrt(1.0 + layers * per_layer)


def _pre_norm_boost(spec):
    """Factor on the residual outputs of a pre-norm model with a tied output."""
    if spec.norm != "pre" or not spec.tie_output:
        return 1.0
    if spec.embedding_norm:
        token_rms = 1.0
    else:  # the table's standard deviation before any shrinking by output_std
        token_rms = OUTPUT_STD if spec.scale_embedding else OUTPUT_STD / np.sqrt(spec.d_model)
    wanted = token_rms * np.sqrt(spec.d_model) / PRE_NORM_SELF_BIAS
    return max(PRE_NORM_MIN_BOOST, wanted / _stream_rms(spec, "decoder", 1.0))


def linear_gain(spec, stack, role):
    gain = LINEAR_GAINS[role]
    if role in RESIDUAL_OUTPUTS:
        gain *= _depth_factor(spec, stack) * _pre_norm_boost(spec)
    return gain


def output_std(spec):
    """Standard deviation of the untied output projection, and of a tied table.

    The output projection sees a normalised vector unless the model is pre-norm
    without a final norm; then it sees the raw residual stream, and shrinks by
    an estimate of the stream's RMS."""
    std = OUTPUT_STD / np.sqrt(spec.d_model)
    if spec.norm == "pre" and not spec.final_norm:
        std /= _stream_rms(spec, "decoder", _pre_norm_boost(spec))
    return std


def _normal(rng, shape, std):
    return rng.standard_normal(shape) * std


def _linear_weight(spec, stack, rng, role, shape, scale):
    """Weights of a linear layer; the packed torch in_proj gets q, k and v gains per block."""
    fan_in = shape[1]
    if role.endswith(".in"):
        attn = role[: -len(".in")]
        blocks = [_normal(rng, (fan_in, fan_in), linear_gain(spec, stack, f"{attn}.{r}") * scale / np.sqrt(fan_in))
                  for r in "qkv"]
        return np.concatenate(blocks, axis=0)
    weight = _normal(rng, shape, linear_gain(spec, stack, role) * scale / np.sqrt(fan_in))
    if role == "fc2":
        # Activations have a positive mean; rows summing to zero keep that mean from
        # adding the same vector at every position, which makes decoding repeat itself.
        weight -= weight.mean(axis=1, keepdims=True)
    return weight


def embedding_std(spec, stack):
    """Token embeddings: about OUTPUT_STD per feature once embedded (as scale_embedding
    makes them), so tokens outweigh positions, unless the table is the output projection."""
    if spec.tie_output and (stack == "decoder" or uses_shared_embedding(spec)):
        return output_std(spec)
    return OUTPUT_STD / (np.sqrt(spec.d_model) if spec.scale_embedding else 1.0)


def random_tensor(spec, stack, role, shape, rng, scale):
    """One tensor for `role` (a key of txc_spec's role tables) of `stack` (None: output)."""
    parts = role.split(".")
    if role == "embed":
        table = _normal(rng, shape, embedding_std(spec, stack))
        if spec.pad < shape[0]:
            table[spec.pad] = 0.0  # Marian keeps the padding row zero
        return table
    if role == "lm_head":
        return _normal(rng, shape, output_std(spec))
    if role == "positions":
        return _normal(rng, shape, np.sqrt(0.5))  # the RMS of a sinusoid table
    if role == "bias":
        return _normal(rng, shape, 0.5)
    if parts[0].endswith("norm"):
        return 1.0 + _normal(rng, shape, NORM_STD) if parts[-1] == "weight" else _normal(rng, shape, NORM_STD)
    if parts[-1] == "bias":
        return _normal(rng, shape, BIAS_STD)
    return _linear_weight(spec, stack, rng, role[: -len(".weight")], shape, scale)


def random_weights(spec, seed, scale, eos_bias=0.0):
    """name -> float32 array for every tensor of the spec; `eos_bias` is added to
    final_logits_bias[0, eos] (the spec must have output_bias)."""
    shared = uses_shared_embedding(spec)
    tables = []
    for stack in STACKS:
        tables.append((stack, stack_tensors(spec, stack, shared)))
        layers = spec.encoder_layers if stack == "encoder" else spec.decoder_layers
        tables.extend((stack, layer_tensors(spec, stack, i)) for i in range(layers))
    tables.append((None, output_tensors(spec)))
    tensors = {}
    for stack, table in tables:
        for role, (name, shape) in table.items():
            if name in tensors:
                continue  # the shared embedding appears in both stacks
            rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
            tensors[name] = random_tensor(spec, stack, role, shape, rng, scale).astype(np.float32)
    if eos_bias:
        tensors["final_logits_bias"][0, spec.eos] += eos_bias
    return tensors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("spec", help="model spec (TOML)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies the gains of every linear layer")
    parser.add_argument("--dtype", choices=STORAGE_DTYPES, default="F32")
    parser.add_argument("--eos-bias", type=float, default=0.0,
                        help="raise EOS's output bias by this much, so outputs end earlier "
                             "(needs output_bias = true)")
    args = parser.parse_args(argv)
    try:
        spec = load_spec(args.spec)
    except (OSError, ValueError) as err:
        print(f"make_random_weights: {err}", file=sys.stderr)
        return 1
    if args.eos_bias and not spec.output_bias:
        print(f"make_random_weights: {args.spec}: --eos-bias needs output_bias = true", file=sys.stderr)
        return 1
    tensors = random_weights(spec, args.seed, args.scale, args.eos_bias)
    write_safetensors(spec.weights_path, tensors, args.dtype,
                      metadata={"seed": args.seed, "scale": args.scale, "model": spec.name})
    count = sum(t.size for t in tensors.values())
    print(f"wrote {spec.weights_path}: {len(tensors)} tensors, {count} parameters, {args.dtype}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
