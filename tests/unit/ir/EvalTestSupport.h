// Shared pieces of the evaluator tests: parsing txc modules from text, an
// in-memory WeightSource, and value comparisons.
#pragma once

#include "ir/EvalValue.h"
#include "ir/Evaluator.h"
#include "ir/TxcDialect.h"
#include "ir/WeightSource.h"
#include "tests/unit/InMemoryWeights.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace txc::testing {

// Parses modules into one context with the txc dialects loaded; parse errors
// fail the test.
class TxcModuleTest : public ::testing::Test {
protected:
  TxcModuleTest() {
    mlir::DialectRegistry registry;
    registerTxcDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  mlir::ModuleOp parse(const std::string &text) {
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      diagnostics += d.str() + "\n";
      return mlir::success();
    });
    modules.push_back(mlir::parseSourceString(text, &context));
    EXPECT_TRUE(modules.back()) << diagnostics;
    return *modules.back();
  }

  // Evaluates @main of `text` on `args`.
  llvm::Expected<std::vector<EvalValue>> runMain(const std::string &text,
                                                 std::vector<EvalValue> args) {
    mlir::ModuleOp module = parse(text);
    if (!module)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "module did not parse");
    auto fn = module.lookupSymbol<mlir::FuncOp>("main");
    EXPECT_TRUE(fn) << "no @main";
    return evaluateFunction(fn, args, weights);
  }

  // Evaluates @main, expecting success and one result.
  EvalValue runMainOk(const std::string &text, std::vector<EvalValue> args) {
    auto results = runMain(text, std::move(args));
    if (!results) {
      ADD_FAILURE() << llvm::toString(results.takeError());
      return EvalValue();
    }
    EXPECT_EQ(results->size(), 1u);
    return results->empty() ? EvalValue() : results->front();
  }

  // Evaluates @main, expecting an error; returns its message.
  std::string runMainError(const std::string &text,
                           std::vector<EvalValue> args) {
    auto results = runMain(text, std::move(args));
    if (results) {
      ADD_FAILURE() << "evaluation succeeded";
      return "";
    }
    return llvm::toString(results.takeError());
  }

  mlir::MLIRContext context;
  InMemoryWeights weights;
  std::vector<mlir::OwningOpRef<mlir::ModuleOp>> modules;
};

inline void expectTensor(const EvalValue &v, std::vector<int64_t> shape,
                         std::vector<float> values, float tolerance = 1e-6f) {
  ASSERT_EQ(v.kind(), EvalValue::Kind::F32);
  ASSERT_EQ(v.shape().vec(), shape);
  ASSERT_EQ(v.f32().size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isinf(values[i]))
      EXPECT_EQ(v.f32()[i], values[i]) << "at " << i;
    else
      EXPECT_NEAR(v.f32()[i], values[i], tolerance) << "at " << i;
  }
}

inline bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

} // namespace txc::testing
