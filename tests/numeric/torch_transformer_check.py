"""Cross-checks the from-scratch reference against torch.nn.Transformer.

The encoder and decoder stacks run in PyTorch's own nn.Transformer (batch
first, norm_first per spec, dropout 0, the spec's eps and activation), fed by
the reference's embedding and output code. With `names = "torch"` the module
loads the weight file's state dict as is, which also checks the tensor names;
with "hf" names each layer's tensors are packed into nn.Transformer's layout.
The decoder is teacher-forced along the given outputs with a causal mask and
compared with the reference's step-by-step (KV cache) logits.
"""
import torch
import torch.nn as nn

from reference_model import ACTIVATIONS, DTYPE
from txc_spec import STACKS, layer_tensors, stack_tensors

_TORCH_LAYER_NORMS = {
    "encoder": {"self_norm": "norm1", "ffn_norm": "norm2"},
    "decoder": {"self_norm": "norm1", "cross_norm": "norm2", "ffn_norm": "norm3"},
}


def _pack_layer(prefix, stack, layer):
    state = {}
    for attn, module in (("self_attn", "self_attn"), ("cross_attn", "multihead_attn")):
        if f"{attn}.q.weight" not in layer:
            continue
        for kind in ("weight", "bias"):
            state[f"{prefix}.{module}.in_proj_{kind}"] = torch.cat(
                [layer[f"{attn}.{s}.{kind}"] for s in "qkv"], dim=0)
            state[f"{prefix}.{module}.out_proj.{kind}"] = layer[f"{attn}.out.{kind}"]
    for role, module in _TORCH_LAYER_NORMS[stack].items():
        for kind in ("weight", "bias"):
            state[f"{prefix}.{module}.{kind}"] = layer[f"{role}.{kind}"]
    for role, module in (("fc1", "linear1"), ("fc2", "linear2")):
        for kind in ("weight", "bias"):
            state[f"{prefix}.{module}.{kind}"] = layer[f"{role}.{kind}"]
    return state


def as_torch(value):
    return torch.tensor(value, dtype=DTYPE)


def transformer_state_dict(spec, tensors):
    """nn.Transformer state dict from the weight file: as is for torch names, else
    each hf layer repacked (q;k;v into in_proj) — independent of the reference's loader."""
    if spec.names == "torch":
        unused = () if spec.final_norm else ("encoder.norm.", "decoder.norm.")
        return {name: as_torch(value) for name, value in tensors.items()
                if name.startswith(("encoder.", "decoder.")) and not name.startswith(unused)}
    state = {}
    for stack in STACKS:
        count = spec.encoder_layers if stack == "encoder" else spec.decoder_layers
        for index in range(count):
            layer = {role: as_torch(tensors[name]) for role, (name, _) in layer_tensors(spec, stack, index).items()}
            state.update(_pack_layer(f"{stack}.layers.{index}", stack, layer))
        if spec.final_norm:
            for kind in ("weight", "bias"):
                name = stack_tensors(spec, stack, False)[f"final_norm.{kind}"][0]
                state[f"{stack}.norm.{kind}"] = as_torch(tensors[name])
    return state


def build_transformer(spec, tensors):
    activation = spec.activation if spec.activation in ("relu", "gelu") else ACTIVATIONS[spec.activation]
    module = nn.Transformer(
        d_model=spec.d_model, nhead=spec.heads, num_encoder_layers=spec.encoder_layers,
        num_decoder_layers=spec.decoder_layers, dim_feedforward=spec.ffn_dim, dropout=0.0,
        activation=activation, layer_norm_eps=spec.layer_norm_eps, batch_first=True,
        norm_first=spec.norm == "pre", dtype=DTYPE)
    if not spec.final_norm:
        module.encoder.norm = None
        module.decoder.norm = None
    module.load_state_dict(transformer_state_dict(spec, tensors), strict=True)
    return module.eval()


def _relative_error(a, b):
    return float(((a - b).abs() / b.abs().clamp(min=1.0)).max()) if a.numel() else 0.0


def cross_check(model, tensors, lines, outputs, tolerance=1e-9):
    """Raises AssertionError unless nn.Transformer agrees with `model` on the encoder
    output of every non-empty line and the logits along its output tokens."""
    spec = model.spec
    rows = [i for i, line in enumerate(lines) if line]
    if not rows:
        return
    sources = [lines[i] for i in rows]
    transformer = build_transformer(spec, tensors)
    memory, mask = model.encode(sources)
    ids = torch.zeros(mask.shape, dtype=torch.long)
    for row, line in enumerate(sources):
        ids[row, :len(line)] = torch.tensor(line)
    targets = [([spec.decoder_start] + outputs[i])[:spec.max_positions] for i in rows]
    target_ids = torch.zeros(len(rows), max(map(len, targets)), dtype=torch.long)
    for row, target in enumerate(targets):
        target_ids[row, :len(target)] = torch.tensor(target)
    causal = torch.triu(torch.ones(target_ids.shape[1], target_ids.shape[1], dtype=torch.bool), 1)
    # Gradients stay on so PyTorch takes its plain (not its fused inference) path.
    with torch.enable_grad():
        torch_memory = transformer.encoder(model.embed("encoder", ids), src_key_padding_mask=~mask)
        hidden = transformer.decoder(model.embed("decoder", target_ids), torch_memory, tgt_mask=causal,
                                     memory_key_padding_mask=~mask)
        torch_logits = model.output_logits(hidden).detach()
    torch_memory = torch_memory.detach()
    for row, line in enumerate(sources):
        error = _relative_error(memory[row, :len(line)], torch_memory[row, :len(line)])
        if error > tolerance:
            raise AssertionError(f"nn.Transformer encoder output differs on line {rows[row] + 1}: {error:.3g}")
        state = model.start_decoding(memory[row:row + 1, :len(line)])
        stepped = torch.stack([model.decode_step(state, [token])[0] for token in targets[row]])
        error = _relative_error(stepped, torch_logits[row, :len(targets[row])])
        if error > tolerance:
            raise AssertionError(f"nn.Transformer decoder logits differ on line {rows[row] + 1}: {error:.3g}")
