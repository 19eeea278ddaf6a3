//===- KernelCompiler.cpp - ahead-of-time compilation of kernels ----------===//

#include "codegen/KernelCompiler.h"

#include "codegen/kernels/KernelPipeline.h"
#include "codegen/kernels/TargetTraits.h"

#include <cctype>
#include <map>

namespace txc::codegen {

using namespace Halide;

namespace {

// Parses a target string; throws Halide::CompileError when it is not one.
Target parseTarget(const std::string &target) {
  if (target == "host")
    return get_host_target();
  if (!Target::validate_target_string(target))
    throw CompileError("'" + target + "' is not a Halide target");
  return Target(target);
}

bool isCIdentifier(const std::string &name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

// Runs `compile`, turning every Halide error into a failed CompileResult.
template <typename Fn>
CompileResult catchHalideErrors(const std::string &what, Fn &&compile) {
  try {
    compile();
    return {true, ""};
  } catch (const Halide::Error &error) {
    std::string message = error.what();
    while (!message.empty() && std::isspace(static_cast<unsigned char>(
                                   message.back())))
      message.pop_back();
    // Halide's messages can span lines; the first names the problem.
    return {false, what + ": " + message.substr(0, message.find('\n'))};
  } catch (const std::exception &error) {
    return {false, what + ": " + error.what()};
  }
}

} // namespace

TargetInfo describeTarget(const std::string &target) {
  TargetInfo info;
  CompileResult result = catchHalideErrors("target", [&] {
    Target parsed = parseTarget(target);
    info.canonical = parsed.to_string();
    info.vectorWidth = targetTraits(parsed).vectorWidth;
    info.gemmPanelWidth = defaultGemmPanelWidth(parsed);
  });
  info.ok = result.ok;
  info.message = result.message;
  return info;
}

CompileResult compileKernel(const KernelSpec &spec,
                            const std::string &functionName,
                            const std::string &pathPrefix,
                            const KernelCompileOptions &options) {
  std::string what = std::string("kernel ") + functionName + " (" +
                     kernelKindName(spec) + ")";
  if (!isCIdentifier(functionName))
    return {false, "kernel '" + functionName + "': not a C identifier"};
  if (std::string problem = validateKernelSpec(spec); !problem.empty())
    return {false, what + ": " + problem};
  return catchHalideErrors(what, [&] {
    Target target = parseTarget(options.target).with_feature(Target::NoRuntime);
    if (options.noAsserts)
      target = target.with_feature(Target::NoAsserts);
    KernelPipeline kernel = buildKernelPipeline(spec, target);
    std::map<OutputFileType, std::string> files;
    const KernelOutputs &outputs = options.outputs;
    if (outputs.object)
      files[OutputFileType::object] = pathPrefix + ".o";
    if (outputs.header)
      files[OutputFileType::c_header] = pathPrefix + ".h";
    if (outputs.staticLibrary)
      files[OutputFileType::static_library] = pathPrefix + ".a";
    if (outputs.stmtHtml)
      files[OutputFileType::stmt_html] = pathPrefix + ".stmt.html";
    if (outputs.assembly)
      files[OutputFileType::assembly] = pathPrefix + ".s";
    kernel.pipeline.compile_to(files, kernel.arguments, functionName, target);
  });
}

CompileResult compileHalideRuntime(const std::string &target,
                                   const std::string &objectPath) {
  return catchHalideErrors("halide runtime", [&] {
    compile_standalone_runtime(objectPath, parseTarget(target));
  });
}

} // namespace txc::codegen
