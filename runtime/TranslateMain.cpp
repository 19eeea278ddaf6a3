// The `translate` program: linked by `txc compile` with a generated model
// library, which provides txc_translate_kernels().
#include "runtime/TranslateCommand.h"

#include <iostream>

int main(int argc, char **argv) {
  std::ios::sync_with_stdio(false);
  return txc::runtime::runTranslateCommand(argc, argv, txc_translate_kernels(),
                                           std::cin, std::cout, std::cerr);
}
