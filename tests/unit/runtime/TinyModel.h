// A small Transformer as a plan, built like frontend/GraphBuilder.cpp
// builds the primitive graph, with seeded random weights in memory: the
// model the executor, translator, C API and translate tests run.
#pragma once

#include "runtime/PlanExecutor.h"

#include <map>
#include <string>
#include <vector>

namespace txc::runtime::testing {

struct TinyModelConfig {
  int64_t dModel = 8, heads = 2, ffnDim = 16;
  int64_t encoderLayers = 1, decoderLayers = 2;
  int64_t sourceVocab = 13, targetVocab = 11, maxPositions = 12;
  int64_t pad = 0, eos = 1, decoderStart = 0;
  std::string activation = "relu";
  unsigned seed = 7;
};

struct TinyModel {
  Plan plan;
  std::map<std::string, std::pair<Dims, std::vector<float>>> tensors;

  WeightTable weights(); // views into `tensors`
  // Writes weights.safetensors (with the model's name as metadata) and
  // plan.json into `dir`.
  void writeTo(const std::string &dir);
};

TinyModel buildTinyModel(const TinyModelConfig &config = {});

// A fresh empty directory under the test temp dir.
std::string makeTempDir(const std::string &name);

} // namespace txc::runtime::testing
