// bind_shapes: dtypes and shapes from the export's metadata. Each input and output gets the
// TensorMeta the export recorded; each symbol that sizes an input is bound from the first input
// dimension it sizes, with its range from the export's range constraints.
//
//   input x : float32[s0, 64]   =>  symbol s0 in 1..1024 (read from x.size(0) at run time)
#include "codegen/passes/passes.h"
#include "ir/error.h"

namespace aotic::codegen {

void bind_shapes(wir::Module& module) {
  const ir::Program& program = *module.program;
  for (wir::TensorSpec& input : module.inputs) {
    const ir::TensorMeta* meta = program.graph.find_tensor(input.name);
    if (meta == nullptr) user_error("input '{}': the export recorded no dtype and shape", input.name);
    input.meta = *meta;
    for (const ir::SymExpr& size : meta->sizes) {
      if (size.is_constant()) continue;
      std::optional<std::string> symbol = size.as_symbol();
      if (!symbol) {
        user_error("input '{}': size {} is not a plain symbol: not supported", input.name, size.to_string());
      }
      bool known = false;
      for (const wir::Symbol& s : module.symbols) known |= s.name == *symbol;
      if (known) continue;
      wir::Symbol s;
      s.name = *symbol;
      auto it = program.range_constraints.find(*symbol);
      if (it != program.range_constraints.end()) {
        s.min = it->second.min.value_or(0);
        s.max = it->second.max.value_or(INT64_MAX);
      }
      module.symbols.push_back(s);
    }
  }
  for (wir::TensorSpec& output : module.outputs) {
    const ir::TensorMeta* meta = program.graph.find_tensor(output.name);
    if (meta == nullptr) user_error("output '{}': the export recorded no dtype and shape", output.name);
    output.meta = *meta;
  }
}

}  // namespace aotic::codegen
