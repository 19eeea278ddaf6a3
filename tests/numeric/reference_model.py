"""The txc model semantics of DESIGN.md, written from the spec in float64 PyTorch.

This is the independent oracle that txc's evaluator and compiled code are
compared with. It reads a spec and its safetensors file, encodes padded
batches of source lines (masking by length), and runs the decoder one token
at a time with a key/value cache.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))
from safetensors_io import read_safetensors  # noqa: E402
from txc_spec import STACKS, layer_tensors, output_tensors, stack_tensors  # noqa: E402

DTYPE = torch.float64
ACTIVATIONS = {
    "relu": F.relu,
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "swish": F.silu,
}


def sinusoid_table(rows, d_model, layout):
    """Row p: sin/cos of p / 10000^(2i/d) for i < d/2, interleaved or in halves."""
    position = torch.arange(rows, dtype=DTYPE)[:, None]
    pair = torch.arange(d_model // 2, dtype=DTYPE)[None, :]
    angle = position / torch.pow(torch.tensor(10000.0, dtype=DTYPE), 2.0 * pair / d_model)
    table = torch.zeros(rows, d_model, dtype=DTYPE)
    if layout == "interleaved":
        table[:, 0::2] = torch.sin(angle)
        table[:, 1::2] = torch.cos(angle)
    else:
        table[:, : d_model // 2] = torch.sin(angle)
        table[:, d_model // 2:] = torch.cos(angle)
    return table


def _fetch(tensors, path, role_table, dtype):
    params = {}
    for role, (name, shape) in role_table.items():
        if name not in tensors:
            raise ValueError(f"{path}: missing tensor {name}")
        if tuple(tensors[name].shape) != tuple(shape):
            raise ValueError(f"{path}: tensor {name} has shape {list(tensors[name].shape)}, "
                             f"expected {list(shape)}")
        params[role] = torch.tensor(tensors[name], dtype=dtype)
    return params


def _unpack_attention(params):
    """Splits torch's packed in_proj (q;k;v rows) into separate q, k, v roles."""
    for attn in ("self_attn", "cross_attn"):
        if f"{attn}.in.weight" in params:
            weights = params.pop(f"{attn}.in.weight").chunk(3, dim=0)
            biases = params.pop(f"{attn}.in.bias").chunk(3, dim=0)
            for short, w, b in zip("qkv", weights, biases):
                params[f"{attn}.{short}.weight"] = w
                params[f"{attn}.{short}.bias"] = b
    return params


def load_parameters(spec, tensors, dtype=DTYPE):
    """Returns {stack: {"outer": role -> tensor, "layers": [role -> tensor]}, "output": ...}
    with attention always as separate q/k/v/out roles, as `dtype` tensors."""
    path = spec.weights_path
    shared = "model.shared.weight" in tensors
    if shared and spec.source_vocab != spec.target_vocab:
        raise ValueError(f"{path}: model.shared.weight needs source_vocab == target_vocab")
    params = {}
    for stack in STACKS:
        count = spec.encoder_layers if stack == "encoder" else spec.decoder_layers
        params[stack] = {
            "outer": _fetch(tensors, path, stack_tensors(spec, stack, shared), dtype),
            "layers": [_unpack_attention(_fetch(tensors, path, layer_tensors(spec, stack, i), dtype))
                       for i in range(count)],
        }
    params["output"] = _fetch(tensors, path, output_tensors(spec), dtype)
    return params


def _split_heads(x, heads):
    batch, length, d_model = x.shape
    return x.view(batch, length, heads, d_model // heads).transpose(1, 2)


def _merge_heads(x):
    batch, heads, length, head_dim = x.shape
    return x.transpose(1, 2).reshape(batch, length, heads * head_dim)


def _linear(x, params, role):
    return x @ params[f"{role}.weight"].T + params[f"{role}.bias"]


class DecoderState:
    """Per hypothesis: cross-attention keys/values, self-attention cache, step count."""

    def __init__(self, cross_kv, key_mask):
        self.cross_kv = cross_kv
        self.self_kv = [None] * len(cross_kv)
        self.key_mask = key_mask
        self.steps = 0

    def select(self, rows):
        """Keeps hypotheses `rows` (with repeats), in that order."""
        index = torch.as_tensor(rows, dtype=torch.long)

        def pick(pair):
            return None if pair is None else (pair[0][index], pair[1][index])
        self.cross_kv = [pick(kv) for kv in self.cross_kv]
        self.self_kv = [pick(kv) for kv in self.self_kv]
        self.key_mask = None if self.key_mask is None else self.key_mask[index]


class ReferenceTransformer:
    """The model of `spec` with weights `tensors` (name -> array; default: the spec's
    file), computing in `dtype`: float64 for the oracle; float32 only to see how
    far an exact float32 implementation strays from it."""

    def __init__(self, spec, tensors=None, dtype=DTYPE):
        self.spec = spec
        if tensors is None:
            tensors, _ = read_safetensors(spec.weights_path)
        self.params = load_parameters(spec, tensors, dtype)
        self.activation = ACTIVATIONS[spec.activation]
        self.head_dim = spec.d_model // spec.heads
        if spec.positions == "sinusoidal":
            table = sinusoid_table(spec.max_positions + spec.position_offset, spec.d_model,
                                   spec.sinusoid_layout).to(dtype)
            self.positions = {stack: table for stack in STACKS}
        else:
            self.positions = {stack: self.params[stack]["outer"]["positions"] for stack in STACKS}

    # --- building blocks -------------------------------------------------
    def _norm(self, x, params, role):
        return F.layer_norm(x, (self.spec.d_model,), params[f"{role}.weight"],
                            params[f"{role}.bias"], self.spec.layer_norm_eps)

    def _residual(self, x, params, norm_role, sublayer):
        if self.spec.norm == "post":
            return self._norm(x + sublayer(x), params, norm_role)
        return x + sublayer(self._norm(x, params, norm_role))

    def _attend(self, q, k, v, key_mask):
        """q [B,H,Tq,hd], k/v [B,H,Tk,hd], key_mask [B,Tk] (True = attend) or None."""
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        if key_mask is not None:
            scores = scores.masked_fill(~key_mask[:, None, None, :], float("-inf"))
        return _merge_heads(torch.softmax(scores, dim=-1) @ v)

    def _project_kv(self, x, params, attn):
        heads = self.spec.heads
        return (_split_heads(_linear(x, params, f"{attn}.k"), heads),
                _split_heads(_linear(x, params, f"{attn}.v"), heads))

    def _feed_forward(self, x, params):
        return _linear(self.activation(_linear(x, params, "fc1")), params, "fc2")

    def embed(self, stack, ids, first_position=0):
        """Token embedding (x sqrt(d)) + positions first_position.. (+ offset) (+ norm)."""
        outer = self.params[stack]["outer"]
        x = outer["embed"][ids]
        if self.spec.scale_embedding:
            x = x * math.sqrt(self.spec.d_model)
        start = first_position + self.spec.position_offset
        x = x + self.positions[stack][start:start + ids.shape[1]]
        if self.spec.embedding_norm:
            x = self._norm(x, outer, "embedding_norm")
        return x

    def _final(self, x, stack):
        if self.spec.final_norm:
            return self._norm(x, self.params[stack]["outer"], "final_norm")
        return x

    # --- encoder ---------------------------------------------------------
    def encode(self, lines):
        """lines: lists of source ids. Returns ([B, max_len, d] output, [B, max_len] mask)."""
        length = max(len(line) for line in lines)
        ids = torch.zeros(len(lines), length, dtype=torch.long)
        mask = torch.zeros(len(lines), length, dtype=torch.bool)
        for row, line in enumerate(lines):
            ids[row, :len(line)] = torch.tensor(line, dtype=torch.long)
            mask[row, :len(line)] = True
        x = self.embed("encoder", ids)
        heads = self.spec.heads
        for layer in self.params["encoder"]["layers"]:
            def self_attention(h, layer=layer):
                q = _split_heads(_linear(h, layer, "self_attn.q"), heads)
                k, v = self._project_kv(h, layer, "self_attn")
                return _linear(self._attend(q, k, v, mask), layer, "self_attn.out")
            x = self._residual(x, layer, "self_norm", self_attention)
            x = self._residual(x, layer, "ffn_norm", lambda h, layer=layer: self._feed_forward(h, layer))
        return self._final(x, "encoder"), mask

    # --- decoder ---------------------------------------------------------
    def start_decoding(self, memory, key_mask=None):
        """memory [B,S,d] encoder output; key_mask [B,S] or None when nothing is padded."""
        cross = [self._project_kv(memory, layer, "cross_attn") for layer in self.params["decoder"]["layers"]]
        return DecoderState(cross, key_mask)

    def decode_step(self, state, tokens):
        """Feeds one token per hypothesis (tokens [B]); returns raw logits [B, target_vocab]."""
        ids = torch.as_tensor(tokens, dtype=torch.long).view(-1, 1)
        x = self.embed("decoder", ids, first_position=state.steps)
        heads = self.spec.heads
        for index, layer in enumerate(self.params["decoder"]["layers"]):
            def self_attention(h, index=index, layer=layer):
                q = _split_heads(_linear(h, layer, "self_attn.q"), heads)
                k, v = self._project_kv(h, layer, "self_attn")
                if state.self_kv[index] is not None:
                    k = torch.cat([state.self_kv[index][0], k], dim=2)
                    v = torch.cat([state.self_kv[index][1], v], dim=2)
                state.self_kv[index] = (k, v)
                return _linear(self._attend(q, k, v, None), layer, "self_attn.out")

            def cross_attention(h, index=index, layer=layer):
                q = _split_heads(_linear(h, layer, "cross_attn.q"), heads)
                k, v = state.cross_kv[index]
                return _linear(self._attend(q, k, v, state.key_mask), layer, "cross_attn.out")
            x = self._residual(x, layer, "self_norm", self_attention)
            x = self._residual(x, layer, "cross_norm", cross_attention)
            x = self._residual(x, layer, "ffn_norm", lambda h, layer=layer: self._feed_forward(h, layer))
        state.steps += 1
        return self.output_logits(self._final(x, "decoder")[:, 0])

    def output_logits(self, hidden):
        """hidden [..., d] -> logits [..., target_vocab]: tied or lm_head, plus bias."""
        output = self.params["output"]
        table = self.params["decoder"]["outer"]["embed"] if self.spec.tie_output else output["lm_head"]
        logits = hidden @ table.T
        if self.spec.output_bias:
            logits = logits + output["bias"][0]
        return logits
