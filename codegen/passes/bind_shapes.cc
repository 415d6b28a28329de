// bind_shapes: dtypes and shapes from the export's metadata. Each input and output gets the
// TensorMeta the export recorded, and each of its dimensions how the runtime checks it: a static
// size, or a*s + b for one size symbol s (a >= 1), which also binds s at run time the first time s
// appears (s = (size - b) / a, exactly, within the symbol's export range).
//
//   input x : float32[2, 8*s0]  =>  symbol s0 in 1..64; x dim 1 = 8*s0 (binds s0 = size / 8)
//   input y : float32[s0 + 1]   =>  y dim 0 = s0 + 1 (checked against s0)
#include "codegen/passes/passes.h"
#include "ir/error.h"

namespace aotic::codegen {
namespace {

/// `size` as a*s + b in its one symbol s, with a >= 1; nullopt otherwise (checked on several
/// values of s, which also rules out floor divisions and the like).
std::optional<wir::DimBinding> linear_in_one_symbol(const ir::SymExpr& size) {
  const std::vector<std::string> symbols = size.symbols();
  if (symbols.size() != 1) return std::nullopt;
  const std::string& s = symbols[0];
  try {
    const int64_t b = size.evaluate({{s, 0}});
    const int64_t a = size.evaluate({{s, 1}}) - b;
    if (a < 1) return std::nullopt;
    for (int64_t v : {2, 3, 7, 64, 1000}) {
      if (size.evaluate({{s, v}}) != a * v + b) return std::nullopt;
    }
    wir::DimBinding dim;
    dim.multiplier = a;
    dim.offset = b;
    if (a != 1 || b != 0) dim.expr = size.to_string();
    return dim;
  } catch (const UserError&) {
    return std::nullopt;  // e.g. a division by s at s = 0
  }
}

int32_t symbol_index(wir::Module& module, const std::string& name, bool bind) {
  for (size_t i = 0; i < module.symbols.size(); ++i) {
    if (module.symbols[i].name == name) return static_cast<int32_t>(i);
  }
  if (!bind) return -1;
  wir::Symbol symbol;
  symbol.name = name;
  auto it = module.program->range_constraints.find(name);
  if (it != module.program->range_constraints.end()) {
    symbol.min = it->second.min.value_or(0);
    symbol.max = it->second.max.value_or(INT64_MAX);
  }
  module.symbols.push_back(symbol);
  return static_cast<int32_t>(module.symbols.size() - 1);
}

/// The runtime's view of each dimension; for inputs (`bind`), the symbols they bind.
std::vector<wir::DimBinding> bind_dims(wir::Module& module, const std::string& what,
                                       const ir::TensorMeta& meta, bool bind) {
  std::vector<wir::DimBinding> dims;
  for (size_t d = 0; d < meta.sizes.size(); ++d) {
    const ir::SymExpr& size = meta.sizes[d];
    wir::DimBinding dim;
    if (size.is_constant()) {
      dim.size = *size.constant_value();
    } else if (std::optional<wir::DimBinding> linear = linear_in_one_symbol(size)) {
      dim = *linear;
      dim.symbol = symbol_index(module, size.symbols()[0], bind);
      if (dim.symbol < 0) dim = wir::DimBinding{};  // an output sized by a symbol no input binds
    } else if (bind) {
      user_error("{}: size {} is {}: only a*s + b in one size symbol is supported for inputs", what, d,
                 size.to_string());
    }
    dims.push_back(dim);
  }
  return dims;
}

}  // namespace

void bind_shapes(wir::Module& module) {
  const ir::Program& program = *module.program;
  for (wir::TensorSpec& input : module.inputs) {
    const ir::TensorMeta* meta = program.graph.find_tensor(input.name);
    if (meta == nullptr) user_error("input '{}': the export recorded no dtype and shape", input.name);
    input.meta = *meta;
    input.dims = bind_dims(module, fmt::format("input '{}'", input.name), *meta, true);
  }
  for (wir::TensorSpec& output : module.outputs) {
    const ir::TensorMeta* meta = program.graph.find_tensor(output.name);
    if (meta == nullptr) user_error("output '{}': the export recorded no dtype and shape", output.name);
    output.meta = *meta;
    output.dims = bind_dims(module, fmt::format("output '{}'", output.name), *meta, false);
  }
}

}  // namespace aotic::codegen
