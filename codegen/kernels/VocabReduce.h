//===- VocabReduce.h - log-softmax and argmax over the vocabulary -*- C++ -*-===//
#pragma once

#include "codegen/kernels/KernelPipeline.h"

namespace txc::codegen {

/// A vocabulary reduction (VocabReduceParams) with its inputs, for setting
/// them under JIT.
struct VocabReducePipeline : KernelPipeline {
  Halide::ImageParam logits;                           ///< [R, V]
  Halide::Param<int32_t> maskedToken{"masked_token"};  ///< < 0: none
};

VocabReducePipeline buildVocabReduce(const VocabReduceParams &params,
                                     const Halide::Target &target);

} // namespace txc::codegen
