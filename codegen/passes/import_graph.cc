// import_graph: the graph as wrapper IR, one undecided `op` statement per node.
//
//   graph(x): addmm = aten.addmm(b, x, w); return (addmm)
//   =>  op addmm = aten.addmm.default(%b, %x, %w)
//       return addmm
#include <fmt/format.h>

#include "codegen/passes/passes.h"
#include "ir/error.h"

namespace aotic::codegen {
namespace {

std::string place(const ir::Node& node) { return fmt::format("node '{}' ({})", node.name, node.op_name()); }

wir::Block import_nodes(const ir::Graph& graph);

/// torch.ops.higher_order.cond(pred, true_graph, false_graph, operands).
wir::Stmt import_cond(const ir::Node& node, const ir::Graph& graph) {
  if (node.inputs.size() != 4 || node.inputs[1].arg.kind != ir::ArgKind::kGraph ||
      node.inputs[2].arg.kind != ir::ArgKind::kGraph || node.inputs[3].arg.kind != ir::ArgKind::kTensors) {
    user_error("{}: expected (pred, true_graph, false_graph, operands)", place(node));
  }
  if (node.inputs[0].arg.kind != ir::ArgKind::kTensor) {
    user_error("{}: only a tensor predicate is supported", place(node));
  }
  wir::Stmt s;
  s.kind = wir::Stmt::Kind::kCond;
  s.place = place(node);
  s.node = &node;
  s.graph = &graph;
  s.pred = node.inputs[0].arg.name;
  s.inputs = node.inputs[3].arg.names;
  for (const ir::Argument& out : node.outputs) {
    if (out.kind != ir::ArgKind::kTensor) user_error("{}: only tensor outputs are supported", place(node));
    s.outs.push_back(out.name);
  }
  for (size_t b = 1; b <= 2; ++b) {
    const ir::GraphArgument& sub = node.inputs[b].arg.graph;
    const ir::Graph& g = *sub.graph;
    if (g.inputs.size() != s.inputs.size() || g.outputs.size() != s.outs.size()) {
      user_error("{}: subgraph '{}' takes {} inputs and gives {} outputs, the node has {} and {}",
                 place(node), sub.name, g.inputs.size(), g.outputs.size(), s.inputs.size(), s.outs.size());
    }
    wir::Branch branch;
    branch.name = sub.name;
    for (const ir::Argument& in : g.inputs) {
      if (in.kind != ir::ArgKind::kTensor) user_error("{}: subgraph inputs must be tensors", place(node));
      branch.inputs.push_back(in.name);
    }
    for (const ir::Argument& out : g.outputs) {
      if (out.kind != ir::ArgKind::kTensor) user_error("{}: subgraph outputs must be tensors", place(node));
      branch.outputs.push_back(out.name);
    }
    branch.body = import_nodes(g);
    s.branches.push_back(std::move(branch));
  }
  return s;
}

wir::Block import_nodes(const ir::Graph& graph) {
  wir::Block block;
  for (const ir::Node& node : graph.nodes) {
    if (node.target == "torch.ops.higher_order.cond") {
      block.push_back(import_cond(node, graph));
      continue;
    }
    wir::Stmt s;
    s.kind = wir::Stmt::Kind::kOp;
    s.place = place(node);
    s.node = &node;
    s.graph = &graph;
    block.push_back(std::move(s));
  }
  return block;
}

}  // namespace

wir::Module import_graph(const ir::Program& program, const ConstantsLayout& constants) {
  wir::Module module;
  module.program = &program;
  module.constants = constants;
  std::set<std::string> bound;
  for (const ConstantEntry& c : constants.entries) bound.insert(c.spec->arg.name);
  for (const ir::InputSpec& spec : program.signature.inputs) {
    if (spec.kind == ir::InputKind::kUserInput) {
      if (spec.arg.kind != ir::ArgKind::kTensor) {
        user_error("user input {} is a {}: only tensor inputs are supported", spec.arg.to_string(),
                   ir::arg_kind_key(spec.arg.kind));
      }
      module.inputs.push_back({spec.arg.name, {}});
    } else if (bound.count(spec.arg.name) == 0) {
      user_error("graph input '{}' ({}) is not supported", spec.arg.name, ir::input_kind_name(spec.kind));
    }
  }
  module.body = import_nodes(program.graph);
  wir::Stmt ret;
  ret.kind = wir::Stmt::Kind::kReturn;
  const std::vector<ir::OutputSpec>& specs = program.signature.outputs;
  for (size_t i = 0; i < program.graph.outputs.size(); ++i) {
    const ir::Argument& out = program.graph.outputs[i];
    if (out.kind != ir::ArgKind::kTensor) {
      user_error("graph output {} is a {}: only tensor outputs are supported", i, ir::arg_kind_key(out.kind));
    }
    if (i < specs.size() && specs[i].kind == ir::OutputKind::kUserInputMutation) {
      // The program updates a user input in place (a batch norm's running stats passed in): the
      // new value is copied into the caller's tensor, as eager PyTorch does; it is no output.
      wir::Stmt copy = wir::copy_call(specs[i].target, out.name);
      copy.place = fmt::format("user input '{}' (updated by the program)", specs[i].target);
      module.body.push_back(std::move(copy));
      continue;
    }
    ret.outs.push_back(out.name);
    if (i < specs.size()) module.outputs.push_back({specs[i].arg.name, {}});
  }
  module.body.push_back(std::move(ret));
  return module;
}

}  // namespace aotic::codegen
