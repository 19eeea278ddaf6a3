// Each pass, and the default pipeline, leaves what the reference evaluator
// computes unchanged: on small random models, every result of @encode and
// of a sequence of @decode_step calls is the same before and after, and the
// pass did rewrite the IR.
#include "RandomModel.h"

#include "frontend/GraphBuilder.h"
#include "ir/Evaluator.h"
#include "ir/ModuleConventions.h"
#include "ir/TxcDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace txc;
using namespace txc::testing;

namespace {

template <typename OpT> int64_t countOps(mlir::ModuleOp module) {
  int64_t count = 0;
  module.walk([&](OpT) { ++count; });
  return count;
}

int64_t countActivatedGemms(mlir::ModuleOp module) {
  int64_t count = 0;
  module.walk([&](GemmOp op) { count += op.activation() != "none"; });
  return count;
}

// Linears reading the stacked weights of fuse-qkv, for tile-ffn's '+' names.
int64_t countStackedPackedWeights(mlir::ModuleOp module) {
  int64_t count = 0;
  module.walk([&](PackedWeightOp op) { count += op.name().contains('+'); });
  return count;
}

// Attentions outside @encode: the decoder's, over hypotheses.
int64_t countDecodeAttention(mlir::ModuleOp module) {
  int64_t count = 0;
  module.walk([&](AttentionOp op) {
    auto fn = op->getParentOfType<mlir::FuncOp>();
    count += fn.getName() != conventions::kEncodeFunc;
  });
  return count;
}

using AddPasses = std::function<void(mlir::PassManager &)>;
using ExpectRewritten =
    std::function<void(mlir::ModuleOp before, mlir::ModuleOp after)>;
// Further checks of a transformed module on the recorded calls.
using CheckCalls = std::function<void(
    mlir::ModuleOp after, const ModelSpec &spec, const WeightSource &weights,
    llvm::ArrayRef<RecordedCall> calls)>;

class PassNumerics : public ::testing::Test {
protected:
  PassNumerics() {
    mlir::DialectRegistry registry;
    registerTxcDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  // The variant's primitive module; null after a failed assertion.
  mlir::OwningOpRef<mlir::ModuleOp> build(const ModelSpec &spec) {
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      diagnostics += d.str() + "\n";
      return mlir::success();
    });
    mlir::OwningOpRef<mlir::ModuleOp> module = buildModelModule(context, spec);
    EXPECT_TRUE(module) << diagnostics;
    return module;
  }

  // A copy of `module` transformed by the passes `addPasses` adds.
  mlir::OwningOpRef<mlir::ModuleOp> transform(mlir::ModuleOp module,
                                              const AddPasses &addPasses) {
    mlir::OwningOpRef<mlir::ModuleOp> copy = module.clone();
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      diagnostics += d.str() + "\n";
      return mlir::success();
    });
    mlir::PassManager pm(&context);
    addPasses(pm);
    EXPECT_TRUE(mlir::succeeded(pm.run(*copy))) << diagnostics;
    return copy;
  }

  // Empty when every recorded call gives the same results on `module`;
  // otherwise which call differs, and how.
  std::string replay(mlir::ModuleOp module, const WeightSource &weights,
                     llvm::ArrayRef<RecordedCall> calls) {
    Evaluator evaluator(weights);
    for (size_t i = 0; i < calls.size(); ++i) {
      auto fn = module.lookupSymbol<mlir::FuncOp>(calls[i].function);
      if (!fn)
        return "no @" + calls[i].function;
      auto results = evaluator.run(fn, calls[i].args);
      if (!results)
        return "call " + std::to_string(i) + " (@" + calls[i].function +
               ") failed: " + llvm::toString(results.takeError());
      std::string difference =
          calls[i].function == conventions::kEncodeFunc
              ? compareResults(withoutPadding(calls[i].results,
                                              calls[i].args[1].i32()),
                               withoutPadding(*results, calls[i].args[1].i32()))
              : compareResults(calls[i].results, *results);
      if (!difference.empty())
        return "call " + std::to_string(i) + " (@" + calls[i].function + "), " +
               difference;
    }
    return "";
  }

  // For every model variant: records the calls on the primitive module,
  // runs the passes on a copy, checks with `expectRewritten` that they
  // changed it, that the copy gives the recorded results, and `checkCalls`.
  void checkPasses(const AddPasses &addPasses,
                   const ExpectRewritten &expectRewritten,
                   const CheckCalls &checkCalls = {}) {
    unsigned seed = 1;
    for (const ModelVariant &variant : modelVariants()) {
      SCOPED_TRACE(variant.name);
      ++seed;
      mlir::OwningOpRef<mlir::ModuleOp> module = build(variant.spec);
      ASSERT_TRUE(module);
      RandomWeights weights(variant.spec, seed);
      auto calls = recordCalls(*module, variant.spec, weights, seed);
      ASSERT_TRUE(bool(calls)) << llvm::toString(calls.takeError());
      mlir::OwningOpRef<mlir::ModuleOp> after = transform(*module, addPasses);
      expectRewritten(*module, *after);
      EXPECT_EQ(replay(*after, weights, *calls), "");
      if (checkCalls)
        checkCalls(*after, variant.spec, weights, *calls);
    }
  }

  mlir::MLIRContext context;
};

// One pass on the whole module, as buildDefaultPipeline schedules it.
AddPasses single(std::unique_ptr<mlir::Pass> (*create)()) {
  return [=](mlir::PassManager &pm) { pm.addPass(create()); };
}

TEST_F(PassNumerics, FuseQkvKeepsResults) {
  checkPasses(single(createFuseQkvPass), [](mlir::ModuleOp before,
                                            mlir::ModuleOp after) {
    EXPECT_GT(countOps<ConcatWeightsOp>(after), 0);
    EXPECT_GT(countOps<SliceOp>(after), 0);
    EXPECT_LT(countOps<LinearOp>(after), countOps<LinearOp>(before));
  });
}

TEST_F(PassNumerics, FuseAttentionKeepsResults) {
  checkPasses(single(createFuseAttentionPass), [](mlir::ModuleOp before,
                                                  mlir::ModuleOp after) {
    EXPECT_GT(countOps<SoftmaxOp>(before), 0);
    EXPECT_EQ(countOps<AttentionOp>(after), countOps<SoftmaxOp>(before));
    EXPECT_EQ(countOps<SoftmaxOp>(after), 0);
    EXPECT_EQ(countOps<CausalMaskOp>(after), 0);
    EXPECT_EQ(countOps<PaddingMaskOp>(after), 0);
  });
}

TEST_F(PassNumerics, ScheduleLayerNormKeepsResults) {
  checkPasses(single(createScheduleLayerNormPass), [](mlir::ModuleOp before,
                                                      mlir::ModuleOp after) {
    EXPECT_GT(countOps<AddLayerNormOp>(after), 0);
    EXPECT_EQ(countOps<AddLayerNormOp>(after) + countOps<LayerNormOp>(after),
              countOps<LayerNormOp>(before));
  });
}

TEST_F(PassNumerics, TileFfnKeepsResults) {
  checkPasses(single(createTileFfnPass),
              [](mlir::ModuleOp before, mlir::ModuleOp after) {
                EXPECT_EQ(countOps<LinearOp>(after), 0);
                EXPECT_EQ(countOps<GemmOp>(after), countOps<LinearOp>(before));
                EXPECT_GT(countOps<PackedWeightOp>(after), 0);
                EXPECT_GT(countActivatedGemms(after), 0);
              });
}

TEST_F(PassNumerics, PackTokensKeepsResults) {
  // After fuse-attention, as in the pipeline: unfused attention is left
  // alone.
  auto fuseThenPack = [](mlir::PassManager &pm) {
    pm.addPass(createFuseAttentionPass());
    pm.addPass(createPackTokensPass());
  };
  checkPasses(fuseThenPack, [](mlir::ModuleOp before, mlir::ModuleOp after) {
    EXPECT_EQ(countOps<PackRowsOp>(before), 0);
    // The embedding's rows and each attention's merged heads.
    EXPECT_EQ(countOps<PackRowsOp>(after), 1 + countOps<AttentionOp>(after) -
                                               countDecodeAttention(after));
    EXPECT_GT(countOps<UnpackRowsOp>(after), 0);
  });
}

TEST_F(PassNumerics, DefaultPipelineKeepsResults) {
  checkPasses([](mlir::PassManager &pm) { buildDefaultPipeline(pm, {}); },
              [](mlir::ModuleOp, mlir::ModuleOp after) {
                EXPECT_GT(countOps<AttentionOp>(after), 0);
                EXPECT_GT(countOps<PackRowsOp>(after), 0);
                EXPECT_GT(countOps<AddLayerNormOp>(after), 0);
                EXPECT_GT(countActivatedGemms(after), 0);
                EXPECT_GT(countStackedPackedWeights(after), 0);
                EXPECT_EQ(countOps<LinearOp>(after), 0);
                EXPECT_EQ(countOps<SoftmaxOp>(after), 0);
                EXPECT_EQ(countOps<ArgmaxOp>(after), 0);
                EXPECT_EQ(countOps<LinearArgmaxOp>(after), 1);
                EXPECT_EQ(countOps<LogSoftmaxTopKOp>(after), 1);
              });
}

// The greedy choice and the k best (log-prob, id) records of one logits row,
// by sorting the whole row in double: independent of TokenSelection.
struct RowChoice {
  int32_t argmax = -1;
  std::vector<std::pair<double, int32_t>> best;
};

RowChoice chooseFromRow(llvm::ArrayRef<float> row, int32_t masked, int64_t k) {
  RowChoice choice;
  std::vector<int32_t> order;
  double maxValue = -INFINITY;
  for (int32_t t = 0; t < int32_t(row.size()); ++t)
    if (t != masked) {
      order.push_back(t);
      maxValue = std::max(maxValue, double(row[t]));
    }
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return row[a] > row[b]; });
  double sum = 0;
  for (int32_t t : order)
    sum += std::exp(double(row[t]) - maxValue);
  double logSum = maxValue + std::log(sum);
  choice.argmax = order.front();
  for (int64_t i = 0; i < k && i < int64_t(order.size()); ++i)
    choice.best.push_back({double(row[order[i]]) - logSum, order[i]});
  return choice;
}

// Each recorded @decode_step call with each token a fused step may mask:
// none, and EOS.
std::vector<std::pair<const RecordedCall *, int32_t>>
maskedDecodeSteps(llvm::ArrayRef<RecordedCall> calls, const ModelSpec &spec) {
  std::vector<std::pair<const RecordedCall *, int32_t>> steps;
  for (const RecordedCall &call : calls)
    if (call.function == "decode_step")
      for (int32_t masked : {-1, int32_t(spec.eosId)})
        steps.emplace_back(&call, masked);
  return steps;
}

// Runs @decode_step_argmax `fn` on the recorded @decode_step `call` with
// `masked`, and expects each row's id to be the argmax of the call's logits.
llvm::Error expectArgmaxOfLogits(Evaluator &evaluator, mlir::FuncOp fn,
                     const RecordedCall &call, int32_t masked, int64_t vocab) {
  std::vector<EvalValue> args = call.args;
  args.push_back(EvalValue::index(masked));
  auto ids = evaluator.run(fn, args);
  if (!ids)
    return ids.takeError();
  const EvalValue &logits = call.results[0];
  const int64_t rows = logits.f32().size() / vocab;
  EXPECT_EQ((*ids)[0].i32().size(), size_t(rows));
  for (int64_t r = 0; r < rows && size_t(r) < (*ids)[0].i32().size(); ++r)
    EXPECT_EQ((*ids)[0].i32()[r],
              chooseFromRow(logits.f32().slice(r * vocab, vocab), masked, 1)
                  .argmax)
        << "row " << r << ", masked " << masked;
  return llvm::Error::success();
}

// fuse-output: @decode_step is unchanged, and on every recorded step the
// argmax and top-k forms choose what a plain sort of its logits chooses,
// with and without a masked token.
TEST_F(PassNumerics, FuseOutputChoosesWhatTheLogitsSay) {
  auto expectRewritten = [](mlir::ModuleOp, mlir::ModuleOp after) {
    EXPECT_EQ(countOps<ArgmaxOp>(after), 1);
    EXPECT_EQ(countOps<LogSoftmaxTopKOp>(after), 1);
  };
  auto checkCalls = [](mlir::ModuleOp after, const ModelSpec &spec,
                       const WeightSource &weights,
                       llvm::ArrayRef<RecordedCall> calls) {
    auto argmaxFn = after.lookupSymbol<mlir::FuncOp>("decode_step_argmax");
    auto topKFn = after.lookupSymbol<mlir::FuncOp>("decode_step_top_k");
    ASSERT_TRUE(argmaxFn && topKFn);
    Evaluator evaluator(weights);
    const int64_t vocab = spec.targetVocab, k = 5;
    for (auto [call, masked] : maskedDecodeSteps(calls, spec)) {
      llvm::Error error =
          expectArgmaxOfLogits(evaluator, argmaxFn, *call, masked, vocab);
      ASSERT_FALSE(bool(error)) << llvm::toString(std::move(error));
      std::vector<EvalValue> args = call->args;
      args.push_back(EvalValue::index(k));
      args.push_back(EvalValue::index(masked));
      auto records = evaluator.run(topKFn, args);
      ASSERT_TRUE(bool(records)) << llvm::toString(records.takeError());
      // The caches come back as @decode_step returns them.
      EXPECT_EQ(compareResults(llvm::makeArrayRef(call->results).drop_front(),
                               llvm::makeArrayRef(*records).drop_front()),
                "");
      const EvalValue &logits = call->results[0];
      const int64_t rows = logits.f32().size() / vocab;
      ASSERT_EQ((*records)[0].f32().size(), size_t(rows * k * 2));
      for (int64_t r = 0; r < rows; ++r) {
        RowChoice want =
            chooseFromRow(logits.f32().slice(r * vocab, vocab), masked, k);
        const float *got = (*records)[0].f32().data() + r * k * 2;
        for (int64_t i = 0; i < k; ++i) {
          EXPECT_EQ(int32_t(got[2 * i + 1]), want.best[i].second)
              << "row " << r << " rank " << i;
          EXPECT_NEAR(got[2 * i], want.best[i].first, 1e-5)
              << "row " << r << " rank " << i;
        }
      }
    }
  };
  checkPasses(single(createFuseOutputPass), expectRewritten, checkCalls);
}

// fuse-linear-argmax, after the passes that make its GEMM and its step: on
// every recorded step the fused op chooses what the logits say.
TEST_F(PassNumerics, FuseLinearArgmaxChoosesWhatTheLogitsSay) {
  auto passes = [](mlir::PassManager &pm) {
    pm.addPass(createTileFfnPass());
    pm.addPass(createFuseOutputPass());
    pm.addPass(createFuseLinearArgmaxPass());
  };
  auto expectRewritten = [](mlir::ModuleOp, mlir::ModuleOp after) {
    EXPECT_EQ(countOps<LinearArgmaxOp>(after), 1);
    EXPECT_EQ(countOps<ArgmaxOp>(after), 0);
  };
  auto checkCalls = [](mlir::ModuleOp after, const ModelSpec &spec,
                       const WeightSource &weights,
                       llvm::ArrayRef<RecordedCall> calls) {
    auto argmaxFn = after.lookupSymbol<mlir::FuncOp>("decode_step_argmax");
    ASSERT_TRUE(argmaxFn);
    Evaluator evaluator(weights);
    const int64_t vocab = spec.targetVocab;
    for (auto [call, masked] : maskedDecodeSteps(calls, spec)) {
      llvm::Error error =
          expectArgmaxOfLogits(evaluator, argmaxFn, *call, masked, vocab);
      ASSERT_FALSE(bool(error)) << llvm::toString(std::move(error));
    }
  };
  checkPasses(passes, expectRewritten, checkCalls);
}

// The comparison is strict enough to catch a fusion that wires one
// projection's features to another's uses.
TEST_F(PassNumerics, ReplayCatchesSwappedSlices) {
  ModelVariant variant = modelVariants().front();
  mlir::OwningOpRef<mlir::ModuleOp> module = build(variant.spec);
  ASSERT_TRUE(module);
  RandomWeights weights(variant.spec, 1);
  auto calls = recordCalls(*module, variant.spec, weights, 1);
  ASSERT_TRUE(bool(calls)) << llvm::toString(calls.takeError());
  mlir::OwningOpRef<mlir::ModuleOp> after =
      transform(*module, single(createFuseQkvPass));
  ASSERT_EQ(replay(*after, weights, *calls), "");

  SliceOp first;
  bool swapped = false;
  after->walk([&](SliceOp op) {
    if (!first) {
      first = op;
    } else if (!swapped && op.input() == first.input()) {
      mlir::IntegerAttr offset = first.offsetAttr();
      first.offsetAttr(op.offsetAttr());
      op.offsetAttr(offset);
      swapped = true;
    }
  });
  ASSERT_TRUE(swapped);
  EXPECT_NE(replay(*after, weights, *calls), "");
}

} // namespace
