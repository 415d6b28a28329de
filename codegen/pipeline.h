// The lowering pipeline: from a checked Program to the wrapper IR the printer turns into
// model.cpp, as one straight list of passes (codegen/passes/passes.h).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "codegen/constants.h"
#include "codegen/passes/passes.h"
#include "codegen/wrapper_ir.h"
#include "ir/graph.h"

namespace aotic::codegen {

struct PassInfo {
  const char* name;
  /// Optimising passes may be switched off (--disable-pass); the others are needed for a model.so.
  bool optimising;
};

/// The passes in the order they run.
const std::vector<PassInfo>& pipeline_passes();

struct PipelineOptions {
  ShimFunctions shim;
  /// Optimising passes to skip.
  std::set<std::string> disabled;
  /// --debug-checks: insert_checks runs (else it is skipped).
  bool debug_checks = false;
  /// The shim can capture CUDA graphs (aotic's own): plan_cuda_graphs runs (else it is skipped).
  bool graph_capture = false;
  /// When set: the IR after this pass is written to `*dump` ("" = none).
  std::string dump_after;
  std::string* dump = nullptr;
};

/// UserError for an unknown pass or a pass that cannot be switched off.
void check_pass_names(const PipelineOptions& options);

/// Runs every pass. UserErrors are prefixed with the program's source.
wir::Module lower_program(const ir::Program& program, const ConstantsLayout& constants,
                          const PipelineOptions& options);

}  // namespace aotic::codegen
