// The C++ view of a generated library's txc_kernel_table.
#pragma once

#include "runtime/KernelCall.h"
#include "runtime/txc_c_api.h"

namespace txc::runtime {

// The kernels of `table` by name; empty for a null table.
inline KernelTable toKernelTable(const txc_kernel_table *table) {
  KernelTable kernels;
  for (int i = 0; table && i < table->count; ++i)
    if (table->kernels[i].name)
      kernels[table->kernels[i].name] = table->kernels[i].fn;
  return kernels;
}

// The plan text the library embeds, or null.
inline const char *embeddedPlan(const txc_kernel_table *table) {
  return table ? table->plan_json : nullptr;
}

} // namespace txc::runtime
