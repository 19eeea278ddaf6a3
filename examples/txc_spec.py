"""Loads a txc model spec (TOML) and names the tensors its weight file holds.

Follows the spec contract of DESIGN.md: required keys, defaults, and the
"hf" / "torch" tensor names. Validation is only as strict as the example and
test scripts need; txc itself is the tool that reports spec errors to users.
"""
import os
import tomllib
from types import SimpleNamespace

REQUIRED_SIZES = ("d_model", "heads", "ffn_dim", "encoder_layers", "decoder_layers",
                  "source_vocab", "target_vocab", "max_positions")
ARCHITECTURE_DEFAULTS = {
    "norm": "post", "final_norm": False, "embedding_norm": False, "activation": "relu",
    "layer_norm_eps": 1e-5, "positions": "sinusoidal", "sinusoid_layout": "interleaved",
    "position_offset": 0, "scale_embedding": True, "tie_output": True, "output_bias": False,
}
TOKEN_DEFAULTS = {"pad": 0, "unk": 1, "decoder_start": 2, "eos": 3}
WEIGHTS_DEFAULTS = {"file": "model.safetensors", "names": "hf"}
CHOICES = {"norm": ("post", "pre"), "activation": ("relu", "gelu", "gelu_tanh", "swish"),
           "positions": ("sinusoidal", "learned"), "sinusoid_layout": ("interleaved", "halves"),
           "names": ("hf", "torch")}
STACKS = ("encoder", "decoder")


def _section(doc, name, path, defaults, required=()):
    table = doc.get(name, {})
    unknown = set(table) - set(defaults) - set(required)
    if unknown:
        raise ValueError(f"{path}: unknown key(s) in [{name}]: {', '.join(sorted(unknown))}")
    values = dict(defaults)
    for key in required:
        if key not in table:
            raise ValueError(f"{path}: [{name}] is missing the required key {key}")
    values.update(table)
    for key, value in values.items():
        if key in CHOICES and value not in CHOICES[key]:
            raise ValueError(f"{path}: [{name}] {key} = {value!r}, expected one of {CHOICES[key]}")
    return values


def load_spec(path):
    """Returns the spec as a namespace with every key (defaults filled in) plus
    `spec_path` and `weights_path` (the weight file resolved against the spec's folder)."""
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    unknown = set(doc) - {"model", "architecture", "tokens", "weights"}
    if unknown:
        raise ValueError(f"{path}: unknown section(s): {', '.join(sorted(unknown))}")
    values = {}
    values.update(_section(doc, "model", path, {}, required=("name",)))
    values.update(_section(doc, "architecture", path, ARCHITECTURE_DEFAULTS, REQUIRED_SIZES))
    values.update(_section(doc, "tokens", path, TOKEN_DEFAULTS))
    values.update(_section(doc, "weights", path, WEIGHTS_DEFAULTS))
    spec = SimpleNamespace(**values)
    if spec.d_model % spec.heads:
        raise ValueError(f"{path}: heads ({spec.heads}) must divide d_model ({spec.d_model})")
    spec.spec_path = os.path.abspath(path)
    spec.weights_path = os.path.join(os.path.dirname(spec.spec_path), spec.file)
    return spec


def uses_shared_embedding(spec):
    """The convention make_random_weights.py writes: one table when it can serve both
    stacks and the output. Readers instead follow the file (shared if present)."""
    return spec.source_vocab == spec.target_vocab and spec.tie_output


def _attention_roles(spec, prefix, torch_module, hf_module):
    d = spec.d_model
    if spec.names == "torch":
        p = f"{prefix}.{torch_module}"
        return {"in.weight": (f"{p}.in_proj_weight", (3 * d, d)),
                "in.bias": (f"{p}.in_proj_bias", (3 * d,)),
                "out.weight": (f"{p}.out_proj.weight", (d, d)),
                "out.bias": (f"{p}.out_proj.bias", (d,))}
    p = f"{prefix}.{hf_module}"
    roles = {}
    for short, module in (("q", "q_proj"), ("k", "k_proj"), ("v", "v_proj"), ("out", "out_proj")):
        roles[f"{short}.weight"] = (f"{p}.{module}.weight", (d, d))
        roles[f"{short}.bias"] = (f"{p}.{module}.bias", (d,))
    return roles


def _norm_roles(spec, role, name):
    return {f"{role}.weight": (f"{name}.weight", (spec.d_model,)),
            f"{role}.bias": (f"{name}.bias", (spec.d_model,))}


def layer_tensors(spec, stack, index):
    """role -> (tensor name, shape) for layer `index` of `stack` ("encoder" | "decoder").

    Roles: self_attn.* and (decoder) cross_attn.* — either q/k/v/out or, with torch
    names, in (packed q;k;v) and out — self_norm, cross_norm, ffn_norm, fc1, fc2."""
    d, f = spec.d_model, spec.ffn_dim
    torch_names = spec.names == "torch"
    prefix = f"{stack}.layers.{index}" if torch_names else f"model.{stack}.layers.{index}"
    roles = {}
    for role, (name, shape) in _attention_roles(spec, prefix, "self_attn", "self_attn").items():
        roles[f"self_attn.{role}"] = (name, shape)
    if torch_names:
        norm_names = {"self_norm": "norm1", "cross_norm": "norm2",
                      "ffn_norm": "norm3" if stack == "decoder" else "norm2"}
        fc_names = {"fc1": "linear1", "fc2": "linear2"}
    else:
        norm_names = {"self_norm": "self_attn_layer_norm", "cross_norm": "encoder_attn_layer_norm",
                      "ffn_norm": "final_layer_norm"}
        fc_names = {"fc1": "fc1", "fc2": "fc2"}
    roles.update(_norm_roles(spec, "self_norm", f"{prefix}.{norm_names['self_norm']}"))
    if stack == "decoder":
        cross = _attention_roles(spec, prefix, "multihead_attn", "encoder_attn")
        for role, (name, shape) in cross.items():
            roles[f"cross_attn.{role}"] = (name, shape)
        roles.update(_norm_roles(spec, "cross_norm", f"{prefix}.{norm_names['cross_norm']}"))
    roles["fc1.weight"] = (f"{prefix}.{fc_names['fc1']}.weight", (f, d))
    roles["fc1.bias"] = (f"{prefix}.{fc_names['fc1']}.bias", (f,))
    roles["fc2.weight"] = (f"{prefix}.{fc_names['fc2']}.weight", (d, f))
    roles["fc2.bias"] = (f"{prefix}.{fc_names['fc2']}.bias", (d,))
    roles.update(_norm_roles(spec, "ffn_norm", f"{prefix}.{norm_names['ffn_norm']}"))
    return roles


def stack_tensors(spec, stack, shared_embedding):
    """role -> (tensor name, shape) for what a stack owns outside its layers:
    embed (token table), positions (learned), embedding_norm.*, final_norm.*."""
    vocab = spec.source_vocab if stack == "encoder" else spec.target_vocab
    roles = {}
    if shared_embedding:
        roles["embed"] = ("model.shared.weight", (vocab, spec.d_model))
    else:
        roles["embed"] = (f"model.{stack}.embed_tokens.weight", (vocab, spec.d_model))
    if spec.positions == "learned":
        rows = spec.max_positions + spec.position_offset
        roles["positions"] = (f"model.{stack}.embed_positions.weight", (rows, spec.d_model))
    if spec.embedding_norm:
        roles.update(_norm_roles(spec, "embedding_norm", f"model.{stack}.layernorm_embedding"))
    if spec.final_norm:
        name = f"{stack}.norm" if spec.names == "torch" else f"model.{stack}.layer_norm"
        roles.update(_norm_roles(spec, "final_norm", name))
    return roles


def output_tensors(spec):
    """role -> (tensor name, shape) for the output projection (untied) and bias."""
    roles = {}
    if not spec.tie_output:
        roles["lm_head"] = ("lm_head.weight", (spec.target_vocab, spec.d_model))
    if spec.output_bias:
        roles["bias"] = ("final_logits_bias", (1, spec.target_vocab))
    return roles


def all_tensors(spec, shared_embedding):
    """Every tensor name -> shape the architecture reads, in a fixed order."""
    shapes = {}
    for stack in STACKS:
        for name, shape in stack_tensors(spec, stack, shared_embedding).values():
            shapes[name] = shape
        layers = spec.encoder_layers if stack == "encoder" else spec.decoder_layers
        for index in range(layers):
            for name, shape in layer_tensors(spec, stack, index).values():
                shapes[name] = shape
    for name, shape in output_tensors(spec).values():
        shapes[name] = shape
    return shapes
