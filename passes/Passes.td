//===- Passes.td - txc optimizing passes --------------------*- tablegen -*-===//
//
// Each pass does one named transformation a user can see in the IR dumps
// (`txc compile --dump-ir`), switch off (`--disable-pass NAME`) and run alone
// (`txc-opt --txc-NAME`).
//
//===----------------------------------------------------------------------===//

#ifndef TXC_PASSES_TD
#define TXC_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseQkv : Pass<"txc-fuse-qkv", "mlir::ModuleOp"> {
  let summary = "Projects Q, K and V (or cross-attention K and V) with one GEMM";
  let description = [{
    Linears that read the same input with weights `<p>.q_proj`, `<p>.k_proj`
    and `<p>.v_proj` (or only k/v) become one `txc.linear` over
    `txc.concat_weights`, followed by a `txc.slice` per projection.
  }];
  let constructor = "txc::createFuseQkvPass()";
}

def FuseAttention : Pass<"txc-fuse-attention", "mlir::ModuleOp"> {
  let summary = "Fuses QK^T, scale, masks, softmax and .V into txc.attention";
  let description = [{
    `matmul(q, k^T) -> scale -> [padding_mask] -> [causal_mask] -> softmax ->
    matmul(., v)` becomes one `txc.attention`, whose kernel never writes the
    score matrix beyond a tile. In @decode_step it is marked `decode`.
  }];
  let constructor = "txc::createFuseAttentionPass()";
  let options = [
    // 32 keys: measured faster than 64 for sentence-length sequences (the
    // encoder at 30 tokens, decoder cross-attention), slower only past a
    // few hundred keys.
    Option<"blockKeys", "block-keys", "int64_t", /*default=*/"32",
           "keys per online-softmax block">
  ];
}

def ScheduleLayerNorm : Pass<"txc-schedule-layernorm", "mlir::ModuleOp"> {
  let summary = "Fuses the residual add into its LayerNorm";
  let description = [{
    `layer_norm(add(x, r))` becomes `txc.add_layer_norm(x, r)`: one
    vectorized pass over each row. Adds whose sum is also used elsewhere
    (pre-norm stacks) are kept.
  }];
  let constructor = "txc::createScheduleLayerNormPass()";
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "floats per vector register of the target">
  ];
}

def TileFfn : Pass<"txc-tile-ffn", "mlir::ModuleOp"> {
  let summary = "Turns linears into tiled GEMMs over prepacked weights";
  let description = [{
    Every `txc.linear` (FFN, projections, the output layer) becomes a
    `txc.gemm` over a `txc.packed_weight` with the following activation
    fused into its epilogue, and register/cache tiles chosen for the target
    recorded as attributes.
  }];
  let constructor = "txc::createTileFfnPass()";
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "floats per vector register of the target">,
    Option<"l2Bytes", "l2-bytes", "int64_t", /*default=*/"1048576",
           "L2 cache bytes per core, bounding a task's packed panels">
  ];
}

def PackTokens : Pass<"txc-pack-tokens", "mlir::ModuleOp"> {
  let summary = "Runs @encode's position-wise ops on real tokens only";
  let description = [{
    The rows of the padded source batch are packed with `txc.pack_rows`
    after the position encodings, so linears, GEMMs, LayerNorms, residual
    adds and activations skip the padding; `txc.unpack_rows` restores the
    [b, s, d] layout where attention or a result needs it. Applies only when
    every op that mixes positions is an attention masked by @encode's
    %src_lengths; @encode's results then hold zeros past each length.
  }];
  let constructor = "txc::createPackTokensPass()";
}

def FuseOutput : Pass<"txc-fuse-output", "mlir::ModuleOp"> {
  let summary = "Adds decoder steps that end in the search's own reduction";
  let description = [{
    Clones @decode_step twice: @decode_step_argmax ends in `txc.argmax`
    (greedy search: the output projection feeds an argmax, no softmax) and
    @decode_step_top_k in `txc.log_softmax_top_k` (beam search: log-softmax
    and top-k fused). Both take the token to mask (EOS before the minimum
    length) as a trailing index argument, the top-k one k before it.
    @decode_step keeps returning raw logits for callers that want them.
  }];
  let constructor = "txc::createFuseOutputPass()";
}

def FuseLinearArgmax : Pass<"txc-fuse-linear-argmax", "mlir::ModuleOp"> {
  let summary = "Fuses greedy search's output projection into its argmax";
  let description = [{
    In @decode_step_argmax, a `txc.gemm` without activation whose only
    reader is `txc.argmax` becomes one `txc.linear_argmax`: the step then
    returns tokens without ever holding the logits. Codegen runs it as an
    int8 screen of the vocabulary with a proven error bound, rescoring only
    the tokens the bound cannot rule out in f32; the tokens are the
    argmax's. Runs after fuse-output (which makes the step) and tile-ffn
    (which makes the GEMM).
  }];
  let constructor = "txc::createFuseLinearArgmaxPass()";
}

#endif // TXC_PASSES_TD
