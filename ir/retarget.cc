#include "ir/retarget.h"

#include <memory>

#include "ir/error.h"

namespace aotic::ir {
namespace {

void retarget_argument(Argument& arg, const Device& target);

void retarget_graph(Graph& graph, const Device& target) {
  for (auto& [name, meta] : graph.tensor_values) meta.device = target;
  for (Node& node : graph.nodes) {
    for (NamedArgument& input : node.inputs) retarget_argument(input.arg, target);
    for (Argument& output : node.outputs) retarget_argument(output, target);
  }
  for (Argument& input : graph.inputs) retarget_argument(input, target);
  for (Argument& output : graph.outputs) retarget_argument(output, target);
}

void retarget_argument(Argument& arg, const Device& target) {
  if (arg.kind == ArgKind::kDevice) arg.device = target;
  if (arg.kind == ArgKind::kGraph && arg.graph.graph) {
    // Subgraphs are shared between copies of a program: this one gets its own.
    auto copy = std::make_shared<Graph>(*arg.graph.graph);
    retarget_graph(*copy, target);
    arg.graph.graph = std::move(copy);
  }
  for (auto& [key, value] : arg.dict) retarget_argument(value, target);
}

}  // namespace

Program retarget(const Program& program, const Device& target) {
  Program out = program;
  retarget_graph(out.graph, target);
  for (InputSpec& input : out.signature.inputs) retarget_argument(input.arg, target);
  for (OutputSpec& output : out.signature.outputs) retarget_argument(output.arg, target);
  for (Weight& weight : out.weights) weight.meta.device = target;
  return out;
}

Device parse_target_device(const std::string& text) {
  if (text == "cpu" || text == "cuda") {
    Device d;
    d.type = text;
    return d;
  }
  if (text.rfind("cuda:", 0) == 0) {
    user_error(
        "--device {}: a model is compiled for cuda and runs on the GPU its loader names "
        "(AOTInductorModelContainerCreateWithDevice, `aotic run --device-index`); pass --device cuda",
        text);
  }
  user_error("--device must be cpu or cuda, got '{}'", text);
}

}  // namespace aotic::ir
