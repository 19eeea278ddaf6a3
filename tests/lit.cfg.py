import os
import lit.formats

config.name = "txc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(os.path.dirname(config.txc_tools_dir), "tests")
# lit/ holds IR and driver tests; e2e/ runs generated translators as a user would.
config.excludes = ["Inputs", "unit", "numeric", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]

config.environment["PATH"] = os.pathsep.join(
    [os.path.join(config.txc_tools_dir), config.llvm_tools_dir,
     config.environment.get("PATH", os.environ.get("PATH", ""))])
config.substitutions.append(("%txc_src", config.txc_source_dir))
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(
    ("%make_weights", "/usr/bin/python3 " + os.path.join(config.txc_source_dir, "examples", "make_random_weights.py")))
