#include "tools/inspect.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace aotic {
namespace {

using ir::ArgKind;
using ir::Graph;
using ir::Program;

void count_ops(const Graph& graph, std::map<std::string, int>& histogram, int& nodes) {
  for (const ir::Node& node : graph.nodes) {
    ++histogram[node.op_name()];
    ++nodes;
    for (const ir::NamedArgument& input : node.inputs) {
      if (input.arg.kind == ArgKind::kGraph) count_ops(*input.arg.graph.graph, histogram, nodes);
    }
  }
}

/// "1,234,567"
std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string describe_value(const Program& program, const ir::Argument& arg) {
  if (arg.kind == ArgKind::kTensor) {
    const ir::TensorMeta* meta = program.graph.find_tensor(arg.name);
    return fmt::format("{:<16} {}", arg.name, meta ? meta->to_string() : "?");
  }
  if (arg.kind == ArgKind::kSymInt && !arg.refs.empty()) {
    return fmt::format("{:<16} SymInt", arg.refs[0].to_string());
  }
  return fmt::format("{:<16} {}", arg.to_string(), ir::arg_kind_key(arg.kind));
}

/// Symbols mentioned by a value's sizes.
std::set<std::string> symbols_of(const Program& program, const ir::Argument& arg) {
  std::set<std::string> out;
  for (const std::string& name : arg.value_names()) {
    const ir::TensorMeta* meta = program.graph.find_tensor(name);
    if (meta == nullptr) continue;
    for (const ir::SymExpr& size : meta->sizes) {
      for (const std::string& s : size.symbols()) out.insert(s);
    }
  }
  return out;
}

}  // namespace

std::string inspect_program(const Program& program) {
  std::string out = fmt::format("{}\n", program.source);
  out += fmt::format("  schema {}.{}, exported by torch {}", program.schema_major, program.schema_minor,
                     program.torch_version.empty() ? "?" : program.torch_version);
  for (const auto& [name, version] : program.opset_version)
    out += fmt::format(", opset {} {}", name, version);
  out += "\n";

  std::vector<const ir::InputSpec*> user_inputs;
  for (const ir::InputSpec& spec : program.signature.inputs) {
    if (spec.kind == ir::InputKind::kUserInput) user_inputs.push_back(&spec);
  }
  out += fmt::format("inputs ({}):\n", user_inputs.size());
  for (const ir::InputSpec* spec : user_inputs) {
    std::string line = "  " + describe_value(program, spec->arg);
    std::set<std::string> symbols = symbols_of(program, spec->arg);
    std::string ranges;
    for (const std::string& s : symbols) {
      auto it = program.range_constraints.find(s);
      ranges += fmt::format("{}{} in {}", ranges.empty() ? "" : ", ", s,
                            it == program.range_constraints.end() ? "unconstrained" : it->second.to_string());
    }
    if (!ranges.empty()) line += "  (" + ranges + ")";
    out += line + "\n";
  }
  out += fmt::format("outputs ({}):\n", program.signature.outputs.size());
  for (const ir::OutputSpec& spec : program.signature.outputs) {
    std::string kind = spec.kind == ir::OutputKind::kUserOutput
                           ? ""
                           : fmt::format("  [{}", output_kind_name(spec.kind)) +
                                 (spec.target.empty() ? "" : " " + spec.target) + "]";
    out += "  " + describe_value(program, spec.arg) + kind + "\n";
  }
  if (!program.range_constraints.empty()) {
    out += fmt::format("symbols ({}):\n", program.range_constraints.size());
    for (const auto& [name, range] : program.range_constraints)
      out += fmt::format("  {:<16} {}\n", name, range.to_string());
  }

  std::map<ir::InputKind, int> kinds;
  uint64_t bytes = 0;
  std::set<const ir::Storage*> seen;
  for (const ir::Weight& weight : program.weights) {
    if (weight.storage && seen.insert(weight.storage.get()).second) bytes += weight.storage->size();
  }
  for (const ir::InputSpec& spec : program.signature.inputs) {
    if (spec.kind != ir::InputKind::kUserInput) ++kinds[spec.kind];
  }
  out += fmt::format("weights: {} tensors, {} bytes (", program.weights.size(), grouped(bytes));
  out += fmt::format("parameters {}, buffers {}, constants {})\n", kinds[ir::InputKind::kParameter],
                     kinds[ir::InputKind::kBuffer], kinds[ir::InputKind::kTensorConstant]);

  std::map<std::string, int> histogram;
  int nodes = 0;
  count_ops(program.graph, histogram, nodes);
  std::vector<std::pair<std::string, int>> ops(histogram.begin(), histogram.end());
  std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  out += fmt::format("ops ({} nodes, {} distinct):\n", nodes, ops.size());
  for (const auto& [op, count] : ops) out += fmt::format("  {:>5}  {}\n", count, op);
  return out;
}

}  // namespace aotic
