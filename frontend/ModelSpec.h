// The validated description of one encoder-decoder Transformer: everything
// the builder needs to emit IR and everything the runtime needs to decode.
#pragma once

#include <cstdint>
#include <string>

namespace txc {

enum class NormPlacement { Post, Pre };
enum class Activation { Relu, Gelu, GeluTanh, Swish };
enum class PositionKind { Sinusoidal, Learned };
enum class SinusoidLayout { Interleaved, Halves };
enum class WeightNames { Hf, Torch };

struct ModelSpec {
  std::string name;

  int64_t dModel = 0;
  int64_t heads = 0;
  int64_t ffnDim = 0;
  int64_t encoderLayers = 0;
  int64_t decoderLayers = 0;
  int64_t sourceVocab = 0;
  int64_t targetVocab = 0;
  int64_t maxPositions = 0;

  NormPlacement norm = NormPlacement::Post;
  bool finalNorm = false;
  bool embeddingNorm = false;
  Activation activation = Activation::Relu;
  double layerNormEps = 1e-5;
  PositionKind positions = PositionKind::Sinusoidal;
  SinusoidLayout sinusoidLayout = SinusoidLayout::Interleaved;
  int64_t positionOffset = 0;
  bool scaleEmbedding = true;
  bool tieOutput = true;
  bool outputBias = false;

  int64_t padId = 0;
  int64_t unkId = 1;
  int64_t decoderStartId = 2;
  int64_t eosId = 3;

  // Absolute path of the safetensors file (resolved against the spec's dir).
  std::string weightsFile;
  WeightNames weightNames = WeightNames::Hf;

  // Absolute paths of tokenizer assets when the model ships them (HF Marian:
  // source.spm, target.spm, vocab.json); empty otherwise.
  std::string sourceSpm, targetSpm, vocabJson;

  int64_t headDim() const { return dModel / heads; }
};

const char *toString(NormPlacement v);
const char *toString(Activation v);
const char *toString(PositionKind v);
const char *toString(SinusoidLayout v);
const char *toString(WeightNames v);

} // namespace txc
