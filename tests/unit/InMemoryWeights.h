// A WeightSource over tensors held in memory, for tests that evaluate or
// compile modules without a weight file.
#pragma once

#include "ir/WeightSource.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace txc::testing {

class InMemoryWeights : public WeightSource {
public:
  void add(const std::string &name, std::vector<int64_t> shape,
           std::vector<float> values) {
    tensors[name] = {std::move(shape), std::move(values)};
  }

  // Makes `name` another name of the tensor stored as `stored`, as a model
  // file's shared embedding serves both stacks.
  void alias(const std::string &name, const std::string &stored) {
    aliases[name] = stored;
  }

  const std::vector<float> &values(const std::string &name) const {
    return tensors.at(name).second;
  }

  llvm::Expected<WeightView> lookup(llvm::StringRef name) const override {
    auto aliased = aliases.find(name.str());
    auto it = tensors.find(aliased == aliases.end() ? name.str()
                                                    : aliased->second);
    if (it == tensors.end())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "no tensor named '%s'",
                                     name.str().c_str());
    return WeightView{it->second.first, it->second.second};
  }

private:
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>>
      tensors;
  std::map<std::string, std::string> aliases;
};

} // namespace txc::testing
