#include "tools/txc/LoadedModel.h"

#include "frontend/GraphBuilder.h"
#include "frontend/LoadModel.h"
#include "ir/TxcDialect.h"

#include "mlir/IR/Dialect.h"
#include "llvm/Support/raw_ostream.h"

using namespace txc;

llvm::Expected<LoadedModel>
txc::loadModelAndBuildGraph(mlir::MLIRContext &context, llvm::StringRef path) {
  mlir::DialectRegistry registry;
  registerTxcDialects(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();

  LoadedModel model;
  llvm::Expected<ModelSpec> spec = loadModel(path);
  if (!spec)
    return spec.takeError();
  model.spec = std::move(*spec);
  auto weights = ModelWeights::load(model.spec);
  if (!weights)
    return weights.takeError();
  model.weights = std::move(*weights);
  model.module = buildModelModule(context, model.spec);
  if (!model.module)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "%s: the built IR failed to verify",
                                   path.str().c_str());
  return std::move(model);
}

int txc::reportError(llvm::Error err) {
  llvm::handleAllErrors(std::move(err), [](const llvm::ErrorInfoBase &info) {
    llvm::errs() << "txc: " << info.message() << "\n";
  });
  return 1;
}
