"""The model variants the numeric oracle tests run, and the spec files they use.

Together the variants cover every architecture option of the spec: post/pre
norm, each activation, interleaved/halves/learned positions (with non-zero
offsets), tied/untied output, output bias, final and embedding norms, shared
and per-stack embeddings (equal and unequal vocabularies), scale_embedding
off, non-default token ids and eps, uneven layer counts, hf and torch tensor
names, and F16/BF16 weight files.
"""

BASE = {
    "d_model": 32, "heads": 4, "ffn_dim": 64, "encoder_layers": 2, "decoder_layers": 2,
    "source_vocab": 64, "target_vocab": 64, "max_positions": 64,
}


def _variant(architecture=None, tokens=None, names="hf", dtype="F32", seed=0, eos_bias=0.0):
    """architecture/tokens: overrides of BASE and the token defaults; eos_bias: passed
    to make_random_weights.py so that outputs end at EOS often (needs output_bias)."""
    return {"architecture": {**BASE, **(architecture or {})}, "tokens": tokens or {},
            "names": names, "dtype": dtype, "seed": seed, "eos_bias": eos_bias}


VARIANTS = {
    # The paper's model: post-norm, ReLU, interleaved sinusoids, one shared table.
    "post_relu": _variant(seed=101),
    # Marian-like: swish, sinusoids in halves, output bias, decoding starts from pad;
    # the pad id (5) also occurs inside sources, which must not mask them.
    "marian": _variant({"activation": "swish", "sinusoid_layout": "halves", "output_bias": True},
                       {"pad": 5, "decoder_start": 5, "eos": 0, "unk": 1}, seed=100, eos_bias=3.0),
    # BART-like: pre-norm, GELU, learned positions at offset 2, both extra norms;
    # unequal vocabularies, so per-stack tables, output tied to the decoder's.
    "pre_gelu_learned": _variant({"norm": "pre", "activation": "gelu", "positions": "learned",
                                  "position_offset": 2, "final_norm": True, "embedding_norm": True,
                                  "source_vocab": 48}, seed=100),
    # Pre-norm without a final norm, tanh GELU, shifted sinusoids, unscaled
    # embeddings, untied output with bias, eps 1e-6.
    "pre_gelu_tanh_untied": _variant({"norm": "pre", "activation": "gelu_tanh", "position_offset": 3,
                                      "scale_embedding": False, "tie_output": False,
                                      "output_bias": True, "layer_norm_eps": 1e-6},
                                     seed=100, eos_bias=3.0),
    # Post-norm with both extra norms, untied output with equal vocabularies,
    # 6 heads of 8, three encoder layers and one decoder layer.
    "post_norms_untied": _variant({"d_model": 48, "heads": 6, "ffn_dim": 96, "encoder_layers": 3,
                                   "decoder_layers": 1, "sinusoid_layout": "halves",
                                   "final_norm": True, "embedding_norm": True, "tie_output": False},
                                  seed=101),
    # nn.Transformer names, post-norm (nn.Transformer's default) with its final norms.
    "torch_post_relu": _variant({"final_norm": True}, names="torch", seed=100),
    # nn.Transformer names, norm_first, GELU, learned positions at offset 2,
    # embedding norm, untied output with bias, eps 1e-6.
    "torch_pre_gelu_learned": _variant({"norm": "pre", "activation": "gelu", "positions": "learned",
                                        "position_offset": 2, "final_norm": True,
                                        "embedding_norm": True, "tie_output": False,
                                        "output_bias": True, "layer_norm_eps": 1e-6},
                                       names="torch", seed=100, eos_bias=3.0),
    # nn.Transformer names with swish, halves, unscaled embeddings, unequal
    # vocabularies and shuffled token ids.
    "torch_swish": _variant({"activation": "swish", "sinusoid_layout": "halves", "final_norm": True,
                             "scale_embedding": False, "source_vocab": 80, "target_vocab": 56},
                            {"pad": 1, "unk": 0, "decoder_start": 3, "eos": 2}, names="torch", seed=100),
    # Half-precision weight file (Marian-like architecture).
    "f16_weights": _variant({"activation": "swish", "sinusoid_layout": "halves"}, dtype="F16", seed=101),
    # bfloat16 weight file, post-norm with a final norm, learned positions at offset 0.
    "bf16_weights": _variant({"final_norm": True, "positions": "learned"}, dtype="BF16", seed=102),
}


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def variant_spec_text(name):
    """The model.toml of a variant; its weights file is model.safetensors beside it."""
    variant = VARIANTS[name]
    sections = {
        "model": {"name": name},
        "architecture": variant["architecture"],
        "tokens": variant["tokens"],
        "weights": {"file": "model.safetensors", "names": variant["names"]},
    }
    lines = [f"# Numeric oracle variant {name}; generated by oracle_test.py."]
    for section, values in sections.items():
        if values:
            lines.append(f"\n[{section}]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
    return "\n".join(lines) + "\n"
