#include "ir/print.h"

#include <fmt/format.h>

namespace aotic::ir {
namespace {

std::string typed(const Graph& graph, const Argument& arg) {
  std::string text = arg.to_string();
  if (arg.kind == ArgKind::kTensor) {
    const TensorMeta* meta = graph.find_tensor(arg.name);
    if (meta != nullptr) text += ": " + meta->to_string();
  }
  return text;
}

}  // namespace

std::string print_graph(const Graph& graph, int indent) {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  std::string out = pad + "graph(";
  for (size_t i = 0; i < graph.inputs.size(); ++i) out += (i ? ", " : "") + typed(graph, graph.inputs[i]);
  out += "):\n";
  for (const Node& node : graph.nodes) {
    std::string results;
    for (const Argument& o : node.outputs) results += (results.empty() ? "" : ", ") + typed(graph, o);
    std::string args;
    std::vector<const GraphArgument*> subgraphs;
    for (const NamedArgument& a : node.inputs) {
      args += (args.empty() ? "" : ", ") + (a.name.empty() ? "" : a.name + "=") + a.arg.to_string();
      if (a.arg.kind == ArgKind::kGraph) subgraphs.push_back(&a.arg.graph);
    }
    out += fmt::format("{}  {} = {}({})\n", pad, results.empty() ? "()" : results, node.op_name(), args);
    for (const GraphArgument* sub : subgraphs) {
      out += fmt::format("{}    {}:\n", pad, sub->name);
      out += print_graph(*sub->graph, indent + 3);
    }
  }
  std::string results;
  for (const Argument& o : graph.outputs) results += (results.empty() ? "" : ", ") + o.to_string();
  out += fmt::format("{}  return ({})\n", pad, results);
  return out;
}

}  // namespace aotic::ir
