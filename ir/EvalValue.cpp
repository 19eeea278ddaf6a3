#include "ir/EvalValue.h"

#include <cassert>

using namespace txc;

int64_t txc::elementCount(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

EvalValue EvalValue::f32(std::vector<int64_t> shape,
                         std::vector<float> values) {
  assert(static_cast<int64_t>(values.size()) == elementCount(shape) &&
         "f32 tensor values do not match its shape");
  EvalValue v;
  v.valueKind = Kind::F32;
  v.dims = std::move(shape);
  v.f32Values = std::make_shared<const std::vector<float>>(std::move(values));
  return v;
}

EvalValue EvalValue::i32(std::vector<int64_t> shape,
                         std::vector<int32_t> values) {
  assert(static_cast<int64_t>(values.size()) == elementCount(shape) &&
         "i32 tensor values do not match its shape");
  EvalValue v;
  v.valueKind = Kind::I32;
  v.dims = std::move(shape);
  v.i32Values = std::make_shared<const std::vector<int32_t>>(std::move(values));
  return v;
}

EvalValue EvalValue::index(int64_t value) {
  EvalValue v;
  v.indexValue = value;
  return v;
}

int64_t EvalValue::numElements() const {
  return isTensor() ? elementCount(dims) : 1;
}

llvm::ArrayRef<float> EvalValue::f32() const {
  return f32Values ? llvm::ArrayRef<float>(*f32Values)
                   : llvm::ArrayRef<float>();
}

llvm::ArrayRef<int32_t> EvalValue::i32() const {
  return i32Values ? llvm::ArrayRef<int32_t>(*i32Values)
                   : llvm::ArrayRef<int32_t>();
}

std::string EvalValue::typeString() const {
  if (!isTensor())
    return "index";
  std::string s = "tensor<";
  for (int64_t d : dims)
    s += std::to_string(d) + "x";
  return s + (valueKind == Kind::F32 ? "f32>" : "i32>");
}
