// Head blocks: the layout an unpack_rows writes when its result is returned
// as attention heads of one width w (the encoder's cross-attention K and V,
// which every decode step reads). Rather than [b, s, d], each sequence holds
// d / w blocks of [s, w], so one head's positions lie in one run. A decode
// step's attention reads a head's keys front to back from memory; in
// [b, s, d] they lie d floats apart, a page apart at d = 1024, where the
// hardware prefetchers stop. Heads read within the function that unpacks
// them (the encoder's own attention) are read from cache, where [b, s, d]
// costs nothing and blocks would only make the unpacking slower.
//
// A blocked tensor is seen as the 4-D view [b, s, d / w, w] of its logical
// [b, s, d]; slices of it stay blocked, and split_heads turns one into the
// ordinary [b, heads, s, w] view every reader of heads takes.
#pragma once

#include "runtime/Plan.h"
#include "runtime/Tensor.h"

#include <vector>

namespace txc::runtime {

// Per step of `fn`: the head width w for an unpack_rows whose result is read
// only by slices of whole heads of width w, each read only by split_heads
// into heads of width w that `fn` returns, and for those slices and
// split_heads; 0 for every other step. The unpacked tensor and its slices
// are never returned themselves: results keep the layout their shape says.
std::vector<int64_t> findHeadBlockedUnpacks(const PlanFunction &fn);

// The blocked layout of a dense [b, s, d] tensor's bytes, d a multiple of w.
TensorView headBlockedView(const TensorView &dense, int64_t w);

// Elements [offset, offset + size) of the logical last axis of a blocked
// view: whole blocks, so offset and size are multiples of its w.
TensorView sliceHeadBlocks(const TensorView &blocked, int64_t offset,
                           int64_t size);

// A blocked view as heads: [b, blocks, s, w], each head's positions in a run.
TensorView splitHeadBlocks(const TensorView &blocked);

} // namespace txc::runtime
