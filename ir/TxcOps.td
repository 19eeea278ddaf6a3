//===- TxcOps.td - txc dialect ops ------------------------*- tablegen -*-===//
//
// Each op states its shape contract in its description; the verifier in
// TxcOps.cpp enforces it wherever both sides are static.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_OPS_TD
#define TXC_OPS_TD

include "ir/TxcDialect.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Txc_PureOp<string mnemonic, list<Trait> traits = []>
    : Txc_Op<mnemonic, !listconcat([NoSideEffect], traits)> {
  let verifier = [{ return ::verify(*this); }];
  let assemblyFormat =
      "operands attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Weights and embeddings
//===----------------------------------------------------------------------===//

def Txc_WeightOp : Txc_PureOp<"weight"> {
  let summary = "a named tensor of the model's weight file";
  let description = [{
    `%w = txc.weight "decoder.layers.0.fc1.weight" : tensor<2048x512xf32>`.
    The result type must be fully static: it is the shape the weight file
    holds under that name.
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs Txc_F32Tensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def Txc_EmbeddingOp : Txc_PureOp<"embedding"> {
  let summary = "token embedding lookup, times a scale";
  let description = [{
    `table[vocab, d]`, `ids[b, s]` (i32) -> `[b, s, d]` = table[ids] * scale.
    An id outside [0, vocab) is an error at evaluation time.
  }];
  let arguments = (ins Txc_F32Tensor:$table, Txc_I32Tensor:$ids,
                       F64Attr:$scale);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_SinusoidPositionsOp : Txc_PureOp<"sinusoid_positions"> {
  let summary = "adds sinusoidal position encodings";
  let description = [{
    `x[b, s, d]` + PE(start + j + offset) for token j. Angle for feature
    pair i is p / 10000^(2i/d). `layout` "interleaved": sin at even, cos at
    odd features (the paper); "halves": sin in the first half, cos in the
    second (Marian).
  }];
  let arguments = (ins Txc_F32Tensor:$input, Index:$start, StrAttr:$layout,
                       I64Attr:$offset);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_LearnedPositionsOp : Txc_PureOp<"learned_positions"> {
  let summary = "adds rows of a learned position table";
  let description = [{
    `x[b, s, d]` + table[start + j + offset] for token j; table is `[p, d]`.
  }];
  let arguments = (ins Txc_F32Tensor:$input, Txc_F32Tensor:$table,
                       Index:$start, I64Attr:$offset);
  let results = (outs Txc_F32Tensor:$result);
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def Txc_LinearOp : Txc_PureOp<"linear"> {
  let summary = "x * W^T + b over the last axis";
  let description = [{
    `x[..., k]`, `weight[n, k]`, optional `bias[n]` -> `[..., n]`.
  }];
  let arguments = (ins Txc_F32Tensor:$input, Txc_F32Tensor:$weight,
                       Optional<Txc_F32Tensor>:$bias);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_MatmulOp : Txc_PureOp<"matmul"> {
  let summary = "batched matrix product with transpose flags";
  let description = [{
    `a[..., m, k]` (or `[..., k, m]` with transpose_a) times `b[..., k, n]`
    (or `[..., n, k]` with transpose_b) -> `[..., m, n]`; leading batch dims
    of a and b are equal.
  }];
  let arguments = (ins Txc_F32Tensor:$lhs, Txc_F32Tensor:$rhs,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_a,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_b);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_SplitHeadsOp : Txc_PureOp<"split_heads"> {
  let summary = "[b, s, h*dh] -> [b, h, s, dh]";
  let arguments = (ins Txc_F32Tensor:$input, I64Attr:$heads);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_MergeHeadsOp : Txc_PureOp<"merge_heads"> {
  let summary = "[b, h, s, dh] -> [b, s, h*dh] (concatenates the heads)";
  let arguments = (ins Txc_F32Tensor:$input);
  let results = (outs Txc_F32Tensor:$result);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Txc_ScaleOp : Txc_PureOp<"scale", [SameOperandsAndResultType]> {
  let summary = "multiplies every element by a constant";
  let arguments = (ins Txc_F32Tensor:$input, F64Attr:$factor);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_AddOp : Txc_PureOp<"add"> {
  let summary = "elementwise sum of two tensors of one shape";
  let arguments = (ins Txc_F32Tensor:$lhs, Txc_F32Tensor:$rhs);
  let results = (outs Txc_F32Tensor:$result);
}

class Txc_ActivationOp<string mnemonic, string formula>
    : Txc_PureOp<mnemonic, [SameOperandsAndResultType]> {
  let summary = "elementwise " # formula;
  let arguments = (ins Txc_F32Tensor:$input);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_ReluOp : Txc_ActivationOp<"relu", "max(x, 0)">;
def Txc_GeluOp : Txc_ActivationOp<"gelu", "x * Phi(x) (erf form)">;
def Txc_GeluTanhOp
    : Txc_ActivationOp<"gelu_tanh",
                       "0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))">;
def Txc_SwishOp : Txc_ActivationOp<"swish", "x * sigmoid(x)">;

//===----------------------------------------------------------------------===//
// Attention pieces
//===----------------------------------------------------------------------===//

def Txc_PaddingMaskOp : Txc_PureOp<"padding_mask"> {
  let summary = "masks keys past each sequence's length";
  let description = [{
    `scores[b, h, q, k]`, `lengths[b]` (i32) -> scores with -inf where
    key k >= lengths[b].
  }];
  let arguments = (ins Txc_F32Tensor:$scores, Txc_I32Tensor:$lengths);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_CausalMaskOp : Txc_PureOp<"causal_mask"> {
  let summary = "masks keys after each query's position";
  let description = [{
    `scores[b, h, q, k]` -> scores with -inf where k > q + offset; offset is
    the number of keys that precede the first query (the KV-cache length).
  }];
  let arguments = (ins Txc_F32Tensor:$scores, Index:$offset);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_SoftmaxOp : Txc_PureOp<"softmax", [SameOperandsAndResultType]> {
  let summary = "softmax over the last axis";
  let description = [{ A row whose entries are all -inf gives zeros. }];
  let arguments = (ins Txc_F32Tensor:$input);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_LayerNormOp : Txc_PureOp<"layer_norm"> {
  let summary = "LayerNorm over the last axis";
  let description = [{
    `(x - mean) / sqrt(var + eps) * gamma + beta`, biased variance.
  }];
  let arguments = (ins Txc_F32Tensor:$input, Txc_F32Tensor:$gamma,
                       Txc_F32Tensor:$beta, F64Attr:$eps);
  let results = (outs Txc_F32Tensor:$result);
}

//===----------------------------------------------------------------------===//
// KV cache
//===----------------------------------------------------------------------===//

def Txc_KvCacheReadOp : Txc_PureOp<"kv_cache_read"> {
  let summary = "the cache rows the current hypotheses continue from";
  let description = [{
    `cache[b0, h, p, dh]`, `origin[b]` (i32) -> `[b, h, p, dh]` with row i =
    cache[origin[i]]. Beam search reorders hypotheses with it; greedy passes
    the identity. The decoder step also reads each hypothesis's
    cross-attention K/V with it, from the encoder's one row per sentence;
    fuse-attention folds those reads into txc.attention's `key_rows`.
  }];
  let arguments = (ins Txc_F32Tensor:$cache, Txc_I32Tensor:$origin);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_KvCacheAppendOp : Txc_PureOp<"kv_cache_append"> {
  let summary = "appends new keys or values to a cache";
  let description = [{
    `cache[b, h, p, dh]`, `new[b, h, t, dh]` -> `[b, h, p + t, dh]`.
  }];
  let arguments = (ins Txc_F32Tensor:$cache, Txc_F32Tensor:$update);
  let results = (outs Txc_F32Tensor:$result);
}

//===----------------------------------------------------------------------===//
// Padding: pack-tokens runs position-wise work on real tokens only
//===----------------------------------------------------------------------===//

def Txc_PackRowsOp : Txc_PureOp<"pack_rows"> {
  let summary = "the rows of real tokens of a padded batch, one after another";
  let description = [{
    `x[b, s, d]`, `lengths[b]` (i32) -> `[t, d]`: rows x[i, 0 .. n_i - 1]
    of each sequence i in order, n_i = lengths[i] clamped to [0, s], and
    t = sum n_i. Position-wise ops (linears, LayerNorm, activations) then
    skip the padding rows.
  }];
  let arguments = (ins Txc_F32Tensor:$input, Txc_I32Tensor:$lengths);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_UnpackRowsOp : Txc_PureOp<"unpack_rows"> {
  let summary = "packed rows back in a padded batch, zeros at the padding";
  let description = [{
    `packed[t, d]`, `lengths[b]` (i32), `like[b, s]` (i32, the token ids
    whose batch and sequence sizes the result takes) -> `[b, s, d]`: the
    inverse of txc.pack_rows, with zero rows at positions past each length.
  }];
  let arguments = (ins Txc_F32Tensor:$packed, Txc_I32Tensor:$lengths,
                       Txc_I32Tensor:$like);
  let results = (outs Txc_F32Tensor:$result);
}

//===----------------------------------------------------------------------===//
// Fused and scheduled ops: what the optimizing passes produce
//===----------------------------------------------------------------------===//

def Txc_ConcatWeightsOp : Txc_PureOp<"concat_weights"> {
  let summary = "named weights stacked along their first axis";
  let description = [{
    `%w = txc.concat_weights ["q.weight", "k.weight", "v.weight"] :
    tensor<96x32xf32>`: the rows of each named tensor in order, as one
    tensor. fuse-qkv uses it to give three projections one GEMM.
  }];
  let arguments = (ins StrArrayAttr:$names);
  let results = (outs Txc_F32Tensor:$result);
  let assemblyFormat = "$names attr-dict `:` type($result)";
}

def Txc_SliceOp : Txc_PureOp<"slice"> {
  let summary = "a contiguous range of the last axis";
  let description = [{
    `x[..., n]` -> `[..., size]` holding features offset .. offset+size-1.
  }];
  let arguments = (ins Txc_F32Tensor:$input, I64Attr:$offset, I64Attr:$size);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_PackedWeightOp : Txc_PureOp<"packed_weight"> {
  let summary = "a linear weight repacked in GEMM panels at compile time";
  let description = [{
    `txc.packed_weight "fc1.weight" {rows = 2048, panel_width = 32} :
    tensor<64x512x32xf32>`: W[rows, k] as ceil(rows/P) panels of k x P
    floats, packed[p][c][j] = W[p*P + j][c] (zero past the last row). The
    named tensor may itself be a concat_weights list joined by '+'.
  }];
  let arguments = (ins StrAttr:$name, I64Attr:$rows, I64Attr:$panel_width);
  let results = (outs Txc_F32Tensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def Txc_GemmOp : Txc_PureOp<"gemm"> {
  let summary = "a scheduled linear: x * W^T + b, then an activation";
  let description = [{
    `x[..., k]`, `packed[ceil(n/P), k, P]` (txc.packed_weight), optional
    `bias[n]` -> `[..., n]`. `activation` is "none", "relu", "gelu",
    "gelu_tanh" or "swish". The schedule attributes (`tile_rows`,
    `panels_per_task`) are the register and cache tiles tile-ffn chose for
    the target; codegen reads them.
  }];
  let arguments = (ins Txc_F32Tensor:$input, Txc_F32Tensor:$packed,
                       Optional<Txc_F32Tensor>:$bias,
                       I64Attr:$out_features, StrAttr:$activation,
                       I64Attr:$tile_rows, I64Attr:$panels_per_task);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_AttentionOp : Txc_PureOp<"attention", [AttrSizedOperandSegments]> {
  let summary = "softmax(mask(Q K^T * scale)) V in one kernel";
  let description = [{
    `q[b, h, sq, dh]`, `k[b, h, sk, dh]`, `v[b, h, sk, dh]`, optional
    `lengths[b]` (padding mask: keys k >= lengths[b] excluded), optional
    `offset` (causal mask: keys k > q + offset excluded), optional
    `key_rows[b]` (i32) -> `[b, h, sq, dh]`. With `key_rows`, K and V have
    rows of their own (`[bk, h, sk, dh]`) and query row i attends to row
    key_rows[i] of them: the hypotheses of one sentence share its
    cross-attention K/V instead of each reading a copy. A query with every
    key masked gives zeros. `block_keys` is the key block of the online
    softmax; `decode` marks the one-query schedule of a decoder step over a
    KV cache.
  }];
  let arguments = (ins Txc_F32Tensor:$query, Txc_F32Tensor:$key,
                       Txc_F32Tensor:$value,
                       Optional<Txc_I32Tensor>:$lengths,
                       Optional<Index>:$offset,
                       Optional<Txc_I32Tensor>:$key_rows, F64Attr:$scale,
                       DefaultValuedAttr<I64Attr, "0">:$block_keys,
                       DefaultValuedAttr<BoolAttr, "false">:$decode);
  let results = (outs Txc_F32Tensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`lengths` `(` $lengths^ `:` type($lengths) `)`)?
    (`offset` `(` $offset^ `)`)?
    (`key_rows` `(` $key_rows^ `:` type($key_rows) `)`)? attr-dict `:` `(`
    type($query) `,` type($key) `,` type($value) `)` `->` type($result)
  }];
}

def Txc_AddLayerNormOp : Txc_PureOp<"add_layer_norm"> {
  let summary = "LayerNorm(x + residual) in one pass over each row";
  let arguments = (ins Txc_F32Tensor:$input, Txc_F32Tensor:$residual,
                       Txc_F32Tensor:$gamma, Txc_F32Tensor:$beta, F64Attr:$eps,
                       DefaultValuedAttr<I64Attr, "0">:$vector_width);
  let results = (outs Txc_F32Tensor:$result);
}

def Txc_ArgmaxOp : Txc_PureOp<"argmax"> {
  let summary = "the greedy choice over each row of logits, with no softmax";
  let description = [{
    `logits[..., V]`, `masked_token` (index) -> `[...]` (i32): per row the
    lowest token id holding the largest logit, the token `masked_token`
    counting as -inf (no token when negative). Softmax preserves the order
    of a row, so greedy search never needs it. A row whose logits are all
    -inf gives -1; a row holding NaN or +inf gives -2, so the search can
    reject it.
  }];
  let arguments = (ins Txc_F32Tensor:$logits, Index:$masked_token);
  let results = (outs Txc_I32Tensor:$result);
}

def Txc_LinearArgmaxOp : Txc_PureOp<"linear_argmax"> {
  let summary = "the greedy choice of a projection's rows, no logits kept";
  let description = [{
    `x[..., k]`, `packed[ceil(n/P), k, P]` (txc.packed_weight),
    `masked_token` (index), optional `bias[n]` -> `[...]` (i32): txc.argmax of
    txc.gemm(x, packed, bias) with no activation, the same tokens and codes.
    No op after it reads the logits, so codegen need not compute them all
    exactly: its kernel screens the vocabulary with int8 logits and a
    proven error bound, and only the tokens whose bound reaches the best
    are rescored in f32 (runtime/VocabScreen.h).
  }];
  let arguments = (ins Txc_F32Tensor:$input, Txc_F32Tensor:$packed,
                       Index:$masked_token, Optional<Txc_F32Tensor>:$bias,
                       I64Attr:$out_features);
  let results = (outs Txc_I32Tensor:$result);
}

def Txc_LogSoftmaxTopKOp : Txc_PureOp<"log_softmax_top_k"> {
  let summary = "the k best tokens of each row with their log-probabilities";
  let description = [{
    `logits[..., V]`, `k` (index), `masked_token` (index) ->
    `[..., k, 2]`: per row the k tokens of largest logit, best first, ties
    broken by the lower id, each as the record (log-softmax value, token
    id); `masked_token` (none when negative) and -inf logits are left out
    and missing candidates are (-inf, -1). Log-softmax and selection share
    one pass over the row and the row is never normalised in memory. Token
    ids are stored as f32, exact because V < 2^24. A row holding NaN or
    +inf gives NaN log-probabilities.
  }];
  let arguments = (ins Txc_F32Tensor:$logits, Index:$k, Index:$masked_token);
  let results = (outs Txc_F32Tensor:$result);
}

#endif // TXC_OPS_TD
