// Helpers for tests of the compiler's side of codegen: a plan lowered from
// txc IR text, the steps of a plan function, and model weights with
// distinct values.
#pragma once

#include "codegen/PlanLowering.h"
#include "ir/TxcDialect.h"
#include "tests/unit/InMemoryWeights.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser.h"

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

namespace txc::codegen::testing {

// Parses `text` in a context of its own and lowers it to a plan; a parse
// or lowering failure fails the test with its message.
inline runtime::Plan lowerMlirText(const char *text) {
  mlir::DialectRegistry registry;
  registerTxcDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString(text, &context);
  if (!module) {
    ADD_FAILURE() << diagnostics;
    return {};
  }
  auto lowered = lowerModuleToPlan(*module);
  if (!lowered) {
    ADD_FAILURE() << llvm::toString(lowered.takeError());
    return {};
  }
  return std::move(*lowered);
}

// The steps of `fn` of `kind`, in order.
inline std::vector<const runtime::PlanStep *>
stepsOf(const runtime::PlanFunction &fn, runtime::OpKind kind) {
  std::vector<const runtime::PlanStep *> found;
  for (const runtime::PlanStep &step : fn.steps)
    if (step.kind == kind)
      found.push_back(&step);
  return found;
}

// The step defining `value` in `fn`.
inline const runtime::PlanStep &producer(const runtime::PlanFunction &fn,
                                         int value) {
  for (const runtime::PlanStep &step : fn.steps)
    if (step.result == value)
      return step;
  ADD_FAILURE() << "no step defines value " << value;
  return fn.steps.front();
}

// Model weights by name, each filled with values no other weight has.
class InMemoryWeights : public txc::testing::InMemoryWeights {
public:
  using txc::testing::InMemoryWeights::add;
  void add(const std::string &name, std::vector<int64_t> shape) {
    std::vector<float> values(size_t(runtime::numElements(shape)));
    std::iota(values.begin(), values.end(), float(next));
    next += 1000;
    add(name, std::move(shape), std::move(values));
  }

private:
  int next = 0;
};

} // namespace txc::codegen::testing
