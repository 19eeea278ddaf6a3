#include "runtime/KernelCall.h"

#include "runtime/ThreadPool.h"

#include <HalideRuntime.h>

#include <atomic>
#include <limits>
#include <utility>
#include <mutex>
#include <string>

// Weak: a process without kernels (runtime tests) has no Halide runtime.
#pragma weak halide_set_error_handler
#pragma weak halide_set_custom_do_par_for

namespace txc::runtime {
namespace {

// Halide's default error handler aborts the process; the runtime's keeps
// the message so a failing kernel becomes an error Status instead.
std::mutex kernelErrorMutex;
std::string kernelError;

void keepKernelError(void *, const char *message) {
  std::lock_guard<std::mutex> lock(kernelErrorMutex);
  kernelError = message ? message : "";
  while (!kernelError.empty() && kernelError.back() == '\n')
    kernelError.pop_back();
}

// The kernels' parallel loops run on the runtime's pool, so the process
// has one set of threads, and its idle workers spin between a decode
// step's kernels instead of sleeping the way Halide's own pool does.
int runKernelTasks(void *context, halide_task_t task, int min, int size,
                   uint8_t *closure) {
  std::atomic<int> firstError{0};
  runTasks(size, [&](int64_t i) {
    int result = task(context, min + int(i), closure);
    int none = 0;
    if (result != 0)
      firstError.compare_exchange_strong(none, result);
  });
  return firstError.load();
}

void installKernelHooks() {
  static const bool installed = [] {
    if (&halide_set_error_handler)
      halide_set_error_handler(keepKernelError);
    if (&halide_set_custom_do_par_for)
      halide_set_custom_do_par_for(runKernelTasks);
    return true;
  }();
  (void)installed;
}

std::string takeKernelError() {
  std::lock_guard<std::mutex> lock(kernelErrorMutex);
  return std::exchange(kernelError, std::string());
}

// A halide_buffer_t and the dims it points at.
struct HalideBuffer {
  halide_buffer_t buffer;
  std::vector<halide_dimension_t> dims;
};

bool fitsInt32(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() &&
         v <= std::numeric_limits<int32_t>::max();
}

// `t` presented at `rank` dims: leading dims merged where their strides
// allow it (a view into a KV cache merges batch and heads), unit dims added
// in front when the kernel wants more. False when dims cannot merge.
bool reshapeForKernel(const TensorView &t, int rank, TensorView &out) {
  out = t;
  if (rank <= 0)
    return true;
  while (out.rank() > rank) {
    // Merge dims 0 and 1 into one; a unit dim merges with anything.
    int64_t e0 = out.shape[0], e1 = out.shape[1];
    int64_t stride = e0 == 1 ? out.strides[1] : e1 == 1 ? out.strides[0]
                                                        : out.strides[1];
    if (e0 != 1 && e1 != 1 && out.strides[0] != out.strides[1] * e1)
      return false;
    out.shape.erase(out.shape.begin());
    out.strides.erase(out.strides.begin());
    out.shape[0] = e0 * e1;
    out.strides[0] = stride;
  }
  while (out.rank() < rank) {
    out.shape.insert(out.shape.begin(), 1);
    out.strides.insert(out.strides.begin(), out.numel());
  }
  return true;
}

Status describe(const TensorView &t, HalideBuffer &out) {
  out.buffer = halide_buffer_t();
  const int rank = t.rank();
  out.dims.resize(rank);
  for (int i = 0; i < rank; ++i) {
    int64_t extent = t.shape[rank - 1 - i], stride = t.strides[rank - 1 - i];
    if (!fitsInt32(extent) || !fitsInt32(stride))
      return Status::failure("tensor " + formatDims(t.shape) +
                             " is too large for a Halide buffer");
    out.dims[i] = halide_dimension_t(0, static_cast<int32_t>(extent),
                                     static_cast<int32_t>(stride));
  }
  out.buffer.host = static_cast<uint8_t *>(t.data);
  out.buffer.type = t.dtype == DType::I32  ? halide_type_t(halide_type_int, 32)
                    : t.dtype == DType::I8 ? halide_type_t(halide_type_int, 8)
                                           : halide_type_t(halide_type_float, 32);
  out.buffer.dimensions = rank;
  out.buffer.dim = out.dims.data();
  return Status::success();
}

// Kinds whose kernels read tensors with any outer strides, as long as the
// innermost dim is dense (codegen/KernelParams.h); the other kernels read
// dense tensors only.
bool kernelReadsStrided(OpKind kind) {
  return kind == OpKind::Matmul || kind == OpKind::Softmax ||
         kind == OpKind::Attention;
}

// Storage for one scalar param, wide enough for any ScalarType.
union Scalar {
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
};

Scalar scalarOf(const KernelParam &p, const PlanStep &step,
                const std::vector<Operand> &operands) {
  Scalar s;
  bool isIndex = p.operand >= 0;
  int64_t integer = isIndex ? operands[p.operand].index : step.attrInt(p.name);
  double real = isIndex ? double(integer) : step.attrFloat(p.name);
  switch (p.type) {
  case ScalarType::I32:
    s.i32 = static_cast<int32_t>(integer);
    break;
  case ScalarType::I64:
    s.i64 = integer;
    break;
  case ScalarType::F32:
    s.f32 = static_cast<float>(real);
    break;
  case ScalarType::F64:
    s.f64 = real;
    break;
  }
  return s;
}

} // namespace

Status callKernel(KernelFn kernel, const PlanStep &step,
                  const std::vector<Operand> &operands,
                  const TensorView &result) {
  std::vector<HalideBuffer> buffers;
  buffers.reserve(operands.size() + 1);
  // Operands the kernel cannot view at its rank, or strided ones (a slice)
  // of a kernel that reads dense tensors, are copied dense first.
  std::vector<std::vector<float>> copies;
  const bool stridedOk = kernelReadsStrided(step.kind);
  auto present = [&](const TensorView &t, HalideBuffer &buffer) -> Status {
    size_t index = &buffer - buffers.data();
    int rank = index < step.kernelRanks.size() ? step.kernelRanks[index] : 0;
    TensorView view;
    if ((!stridedOk && !t.isDense()) || !reshapeForKernel(t, rank, view)) {
      copies.emplace_back(size_t(t.numel()));
      copyToDense(t, copies.back().data());
      TensorView dense(t.dtype, t.shape, copies.back().data());
      reshapeForKernel(dense, rank, view);
    }
    return describe(view, buffer);
  };
  for (const Operand &o : operands) {
    if (!o.present || o.tensor.dtype == DType::Index)
      continue;
    buffers.emplace_back();
    if (Status s = present(o.tensor, buffers.back()); !s.ok())
      return s;
  }
  std::vector<Scalar> scalars;
  scalars.reserve(step.params.size());
  for (const KernelParam &p : step.params)
    scalars.push_back(scalarOf(p, step, operands));
  buffers.emplace_back();
  if (Status s = present(result, buffers.back()); !s.ok())
    return s;

  std::vector<void *> args;
  for (size_t i = 0; i + 1 < buffers.size(); ++i)
    args.push_back(&buffers[i].buffer);
  for (Scalar &s : scalars)
    args.push_back(&s);
  args.push_back(&buffers.back().buffer);

  installKernelHooks();
  if (int code = kernel(args.data()); code != 0) {
    std::string message = takeKernelError();
    return Status::failure("kernel '" + step.kernel + "' failed with code " +
                           std::to_string(code) +
                           (message.empty() ? "" : ": " + message));
  }
  return Status::success();
}

} // namespace txc::runtime
