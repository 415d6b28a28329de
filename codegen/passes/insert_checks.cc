// insert_checks (only with --debug-checks): after the statements a node was lowered to, a `check`
// of each tensor it defines against the dtype, rank and sizes the export recorded; the generated
// code fails the run with a message naming the node when they differ. A size whose symbols are
// not bound at that point is checked only through the rank.
//
//   alloc add_1 : float32[8, s0] ...              alloc add_1 : float32[8, s0] ...
//   call aoti_torch_cpu_add_out(add_1, x, y)  =>  call aoti_torch_cpu_add_out(add_1, x, y)
//                                                 check add_1 : float32[8, s0]
#include "codegen/passes/passes.h"

namespace aotic::codegen {
namespace {

/// The tensors `node` defines, in output order.
std::vector<std::string> tensor_results(const ir::Node& node) {
  std::vector<std::string> out;
  for (const ir::Argument& result : node.outputs) {
    if (result.kind == ir::ArgKind::kTensor) out.push_back(result.name);
    if (result.kind == ir::ArgKind::kTensors) out.insert(out.end(), result.names.begin(), result.names.end());
  }
  return out;
}

void check_block(wir::Block& block, std::set<std::string> bound) {
  wir::Block out;
  out.reserve(block.size() * 2);
  std::set<std::string> defined;  // by the current node's statements
  for (size_t i = 0; i < block.size(); ++i) {
    wir::Stmt& s = block[i];
    for (wir::Branch& b : s.branches) check_block(b.body, bound);
    if (s.kind == wir::Stmt::Kind::kReadInt) bound.insert(s.value);
    for (const std::string& n : wir::defines(s)) defined.insert(n);
    const ir::Node* node = s.node;
    const ir::Graph* graph = s.graph;
    const std::string place = s.place;
    out.push_back(std::move(s));
    if (node == nullptr || (i + 1 < block.size() && block[i + 1].node == node)) continue;
    for (const std::string& name : tensor_results(*node)) {
      const ir::TensorMeta* meta = graph != nullptr ? graph->find_tensor(name) : nullptr;
      if (meta == nullptr || defined.count(name) == 0) continue;
      wir::Stmt check;
      check.kind = wir::Stmt::Kind::kCheck;
      check.place = place;
      check.value = name;
      check.buffer.dtype = meta->dtype;
      check.buffer.device = meta->device;
      check.buffer.sizes = meta->sizes;
      for (const ir::SymExpr& size : meta->sizes) {
        bool known = true;
        for (const std::string& symbol : size.symbols()) known &= bound.count(symbol) != 0;
        check.checked.push_back(known);
      }
      out.push_back(std::move(check));
    }
    defined.clear();
  }
  block = std::move(out);
}

}  // namespace

void insert_checks(wir::Module& module) {
  std::set<std::string> bound;
  for (const wir::Symbol& s : module.symbols) bound.insert(s.name);
  check_block(module.body, bound);
}

}  // namespace aotic::codegen
