//===- Attention.h - fused attention with online softmax --------*- C++ -*-===//
#pragma once

#include "codegen/kernels/KernelPipeline.h"

namespace txc::codegen {

/// A fused attention kernel (AttentionParams) with its inputs, for setting
/// them under JIT.
struct AttentionPipeline : KernelPipeline {
  Halide::ImageParam query;   ///< [B, H, Sq, Dh]
  Halide::ImageParam key;     ///< [B, H, Sk, Dh]
  Halide::ImageParam value;   ///< [B, H, Sk, Dh]
  Halide::ImageParam lengths; ///< [B]; unused unless params.paddingMask
  Halide::ImageParam keyRows; ///< [B]; unused unless params.keyRows
  Halide::Param<int32_t> offset{"offset"}; ///< unused unless causalMask
};

AttentionPipeline buildAttention(const AttentionParams &params,
                                 const Halide::Target &target);

} // namespace txc::codegen
