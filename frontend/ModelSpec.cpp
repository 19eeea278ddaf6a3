#include "frontend/ModelSpec.h"

namespace txc {

// These spellings are the TOML spec's values; the spec parser matches user
// input against them, so they are the single source of the accepted names.

const char *toString(NormPlacement v) {
  switch (v) {
  case NormPlacement::Post:
    return "post";
  case NormPlacement::Pre:
    return "pre";
  }
  return "?";
}

const char *toString(Activation v) {
  switch (v) {
  case Activation::Relu:
    return "relu";
  case Activation::Gelu:
    return "gelu";
  case Activation::GeluTanh:
    return "gelu_tanh";
  case Activation::Swish:
    return "swish";
  }
  return "?";
}

const char *toString(PositionKind v) {
  switch (v) {
  case PositionKind::Sinusoidal:
    return "sinusoidal";
  case PositionKind::Learned:
    return "learned";
  }
  return "?";
}

const char *toString(SinusoidLayout v) {
  switch (v) {
  case SinusoidLayout::Interleaved:
    return "interleaved";
  case SinusoidLayout::Halves:
    return "halves";
  }
  return "?";
}

const char *toString(WeightNames v) {
  switch (v) {
  case WeightNames::Hf:
    return "hf";
  case WeightNames::Torch:
    return "torch";
  }
  return "?";
}

} // namespace txc
