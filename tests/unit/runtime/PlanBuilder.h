// Builds plan functions step by step in tests.
#pragma once

#include "runtime/Plan.h"

#include <string>
#include <vector>

namespace txc::runtime::testing {

class FunctionBuilder {
public:
  explicit FunctionBuilder(std::string name) { fn.name = std::move(name); }

  int value(DType dtype, Dims shape) {
    fn.values.push_back({dtype, std::move(shape)});
    return static_cast<int>(fn.values.size()) - 1;
  }
  int arg(DType dtype, Dims shape) {
    int id = value(dtype, std::move(shape));
    fn.arguments.push_back(id);
    return id;
  }
  int step(OpKind kind, std::vector<int> operands, Dims resultShape,
           std::map<std::string, AttrValue> attrs = {},
           std::string location = "") {
    PlanStep s;
    s.kind = kind;
    s.operands = std::move(operands);
    s.result = value(resultType(kind), std::move(resultShape));
    s.attrs = std::move(attrs);
    s.location = std::move(location);
    fn.steps.push_back(std::move(s));
    return fn.steps.back().result;
  }
  int weight(const std::string &name, Dims shape) {
    return step(OpKind::Weight, {}, std::move(shape), {{"name", name}});
  }
  int constant(int64_t v) {
    return step(OpKind::Constant, {}, {}, {{"value", v}});
  }
  // The step that defined the last value.
  PlanStep &last() { return fn.steps.back(); }
  void results(std::vector<int> ids) { fn.results = std::move(ids); }

  PlanFunction fn;
};

} // namespace txc::runtime::testing
