#include "runtime/LogitsRecorder.h"

#include "ScriptedStepModel.h"

#include <gtest/gtest.h>

using namespace txc::runtime;
using txc::runtime::testing::ScriptedStepModel;

namespace {

TEST(LogitsRecorder, RecordsEachLinesGreedyPathAtItsOffset) {
  // Line 1 of the dump is sentence 0 of this batch; line 2 is sentence 1.
  ScriptedStepModel model({0, 1, 0, -1});
  model.script(1, {}, {0, 0, 2, -1});
  SearchConfig config{0, 3, 4};
  SearchOptions options;
  options.beam = 1;
  options.minLength = options.maxLength = 2;
  LogitsRecorder recorder(3, 2, 4);
  std::vector<SentenceResult> results;
  Status s =
      searchBatch(model, config, options, 2, results, recorder.observer(1));
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(recorder.shape(), (std::vector<int64_t>{3, 2, 4}));
  const std::vector<float> &v = recorder.values();
  std::vector<float> expected = {0, 0, 0, 0,  0, 0, 0, 0,   // line 0: unused
                                 0, 1, 0, -1, 0, 1, 0, -1,  // line 1
                                 0, 0, 2, -1, 0, 1, 0, -1}; // line 2
  EXPECT_EQ(v, expected);
}

} // namespace
