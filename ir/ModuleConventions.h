// The interface of a txc module: the names and argument order of @encode and
// @decode_step, and the module attributes the decoder reads. The frontend
// builds to it; the evaluator, the passes and codegen rely on it.
//
// @encode(%src_ids: tensor<?x?xi32>, %src_lengths: tensor<?xi32>)
//   -> (%memory: tensor<?x?xDxf32>,
//       %cross_k_0, %cross_v_0, ..., %cross_k_{L-1}, %cross_v_{L-1})
//       each cross tensor<?xHx?xDhxf32>: layer l's encoder-attention K/V of
//       the encoder output, projected once per batch. Positions past a
//       sentence's src_lengths entry are padding: callers never read them
//       there, and passes may leave anything in them (pack-tokens: zeros).
//
// @decode_step(%tokens: tensor<?x?xi32>, %step: index,
//              %src_lengths: tensor<?xi32>, %origin: tensor<?xi32>,
//              %sentence: tensor<?xi32>,
//              %self_k_0, %self_v_0, ..., (L pairs, tensor<?xHx?xDhxf32>)
//              %cross_k_0, %cross_v_0, ... (L pairs, as @encode returned))
//   -> (%logits: tensor<?x?xVxf32>, %self_k_0', %self_v_0', ...)
//   tokens[b, t] are decoder inputs at positions step .. step+t-1; the self
//   caches hold `step` positions of the previous call's rows and are first
//   reordered by `origin` (row i continues row origin[i]); src_lengths has
//   one entry per current row; cross K/V keep @encode's one row per
//   sentence, and row i reads row sentence[i] of them.
//
// Optional, added by fuse-output; the arguments of @decode_step, then:
// @decode_step_argmax(..., %masked_token: index)
//   -> (%ids: tensor<?x?xi32>, caches as @decode_step)       txc.argmax
// @decode_step_top_k(..., %k: index, %masked_token: index)
//   -> (%records: tensor<?x?x?x2xf32>, caches as @decode_step)
//                                                 txc.log_softmax_top_k
#pragma once

namespace txc::conventions {

inline constexpr const char *kEncodeFunc = "encode";
inline constexpr const char *kDecodeStepFunc = "decode_step";
inline constexpr const char *kDecodeArgmaxFunc = "decode_step_argmax";
inline constexpr const char *kDecodeTopKFunc = "decode_step_top_k";

// Fixed leading arguments of @decode_step before the caches.
inline constexpr unsigned kDecodeTokensArg = 0;
inline constexpr unsigned kDecodeStepArg = 1;
inline constexpr unsigned kDecodeSrcLengthsArg = 2;
inline constexpr unsigned kDecodeOriginArg = 3;
inline constexpr unsigned kDecodeSentenceArg = 4;
inline constexpr unsigned kDecodeFirstCacheArg = 5;

// Module attributes (I64Attr unless noted).
inline constexpr const char *kModelNameAttr = "txc.model_name"; // StrAttr
inline constexpr const char *kDModelAttr = "txc.d_model";
inline constexpr const char *kHeadsAttr = "txc.heads";
inline constexpr const char *kEncoderLayersAttr = "txc.encoder_layers";
inline constexpr const char *kDecoderLayersAttr = "txc.decoder_layers";
inline constexpr const char *kSourceVocabAttr = "txc.source_vocab";
inline constexpr const char *kTargetVocabAttr = "txc.target_vocab";
inline constexpr const char *kMaxPositionsAttr = "txc.max_positions";
inline constexpr const char *kPadAttr = "txc.pad";
inline constexpr const char *kUnkAttr = "txc.unk";
inline constexpr const char *kEosAttr = "txc.eos";
inline constexpr const char *kDecoderStartAttr = "txc.decoder_start";

} // namespace txc::conventions
