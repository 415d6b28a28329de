#include "eager/one_op_program.h"

#include <fmt/format.h>

#include "ir/builtin_schemas.h"
#include "ir/verify.h"

namespace aotic::eager {

ir::Program one_op_program(const ir::OpSchema& schema, const CallDescription& call,
                           const std::vector<ir::TensorMeta>& results) {
  ir::Program program;
  program.source = schema.qualified_name();
  ir::Graph& graph = program.graph;

  for (const auto& [name, meta] : call.input_metas) {
    ir::Argument input;
    input.kind = ir::ArgKind::kTensor;
    input.name = name;
    graph.inputs.push_back(input);
    graph.tensor_values[name] = meta;
    ir::InputSpec spec;
    spec.kind = ir::InputKind::kUserInput;
    spec.arg = input;
    program.signature.inputs.push_back(spec);
    if (call.dynamic) {
      for (const ir::SymExpr& size : meta.sizes) {
        program.range_constraints[size.to_string()] = ir::RangeConstraint{1, std::nullopt};
      }
    }
  }

  ir::Node node;
  node.name = schema.name;
  node.target = "torch.ops." + schema.target();
  node.inputs = call.node_inputs;
  for (size_t i = 0; i < results.size(); ++i) {
    ir::Argument output;
    output.kind = ir::ArgKind::kTensor;
    output.name = fmt::format("output{}", i);
    node.outputs.push_back(output);
    graph.outputs.push_back(output);
    graph.tensor_values[output.name] = results[i];
    ir::OutputSpec spec;
    spec.kind = ir::OutputKind::kUserOutput;
    spec.arg = output;
    program.signature.outputs.push_back(spec);
  }
  graph.nodes.push_back(std::move(node));

  ir::verify_program(program, ir::builtin_schemas());
  return program;
}

}  // namespace aotic::eager
