// The sublayers a Transformer stack is made of (attention, FFN, add & norm,
// embeddings), emitted as primitive txc ops under a location that names the
// model part ("decoder.layers.3.self_attn").
#pragma once

#include "frontend/ModelSpec.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

#include <string>

namespace txc {

class BlockBuilder {
public:
  BlockBuilder(mlir::OpBuilder &builder, const ModelSpec &spec)
      : b(builder), spec(spec) {}

  // Sets the model part named by the locations of the ops emitted next.
  void setPart(const std::string &part);

  mlir::Value weight(const std::string &name, llvm::ArrayRef<int64_t> shape);

  // x * W^T + b with `prefix`.weight [out, in] and `prefix`.bias [out].
  mlir::Value linear(mlir::Value x, const std::string &prefix, int64_t out,
                     int64_t in, bool withBias = true);
  mlir::Value layerNorm(mlir::Value x, const std::string &prefix);
  mlir::Value add(mlir::Value lhs, mlir::Value rhs);

  // Embedding lookup (scaled when the spec says so), positions from
  // `start`, then the optional embedding LayerNorm; `stack` is "encoder" or
  // "decoder".
  mlir::Value embed(mlir::Value ids, mlir::Value start,
                    const std::string &stack, int64_t vocab);

  // [b, s, d] -> [b, h, s, dh] projection through `prefix`.{q,k,v}_proj.
  mlir::Value projectHeads(mlir::Value x, const std::string &projPrefix);

  // softmax(mask(Q K^T / sqrt(dh))) V, heads merged, through out_proj.
  // `srcLengths` adds a padding mask; `causalOffset` a causal mask.
  mlir::Value attend(mlir::Value q, mlir::Value k, mlir::Value v,
                     const std::string &prefix, mlir::Value srcLengths,
                     mlir::Value causalOffset);

  mlir::Value feedForward(mlir::Value x, const std::string &prefix);

  // Applies `sublayer` (named `part`) around x with the spec's add & norm
  // placement: post: LN(x + f(x)); pre: x + f(LN(x)).
  template <typename Fn>
  mlir::Value residual(mlir::Value x, const std::string &part,
                       const std::string &normPrefix, Fn sublayer) {
    if (spec.norm == NormPlacement::Pre) {
      setPart(normPrefix);
      mlir::Value normed = layerNorm(x, normPrefix);
      setPart(part);
      return add(x, sublayer(normed));
    }
    setPart(part);
    mlir::Value h = sublayer(x);
    setPart(normPrefix);
    return layerNorm(add(x, h), normPrefix);
  }

  mlir::Type f32Tensor(llvm::ArrayRef<int64_t> shape);
  mlir::Type headsType(); // tensor<?xHx?xDhxf32>
  mlir::Location loc() const { return currentLoc; }

private:
  mlir::OpBuilder &b;
  const ModelSpec &spec;
  mlir::Location currentLoc = b.getUnknownLoc();
};

} // namespace txc
