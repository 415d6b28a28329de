// lower_views: resolves the schema each op is called with and marks views. An op whose result
// shares its input's storage (schema `permute(Tensor(a) self, int[] dims) -> Tensor(a)`) is a
// view: no buffer of its own, and the buffer it aliases stays alive while it does.
//
// aten.view is called as aten.reshape: a view is only valid for the memory layout PyTorch's kernels
// produced at export time, and the shim's kernels (libtorch 1.13, compat ops) may lay results out
// differently but validly; reshape views when it can and copies otherwise, the same values.
//
//   op view = aten.view.default(%x, [8, 64])
//   =>  op view = aten.reshape.default(%x, [8, 64])  # view  # aten.view.default called as ...
#include <map>
#include <memory>

#include <fmt/format.h>

#include "codegen/passes/passes.h"

namespace aotic::codegen {
namespace {

/// Ops called as another op with the same arguments (by position).
const std::map<std::string, std::string>& substitutes() {
  static const std::map<std::string, std::string> kSubstitutes = {
      {"aten.view.default", "aten.reshape.default"},
  };
  return kSubstitutes;
}

/// The value whose storage the op's single result may share, or "".
std::string aliased_input(const ir::Node& node, const ir::OpSchema& schema) {
  if (schema.returns.size() != 1 || !schema.returns[0].alias || schema.returns[0].alias->is_write) return "";
  const std::vector<std::string>& sets = schema.returns[0].alias->before_sets;
  for (const ir::SchemaArgument& param : schema.arguments) {
    if (!param.alias || param.type.kind != ir::SchemaType::Kind::Tensor) continue;
    for (const std::string& set : param.alias->before_sets) {
      bool shared = set == "*";
      for (const std::string& s : sets) shared |= s == set;
      if (!shared) continue;
      const ir::NamedArgument* given = node.find_input(param.name);
      if (given != nullptr && given->arg.kind == ir::ArgKind::kTensor) return given->arg.name;
    }
  }
  return "";
}

void lower_block(wir::Block& block, const ir::SchemaRegistry& schemas) {
  for (wir::Stmt& s : block) {
    for (wir::Branch& b : s.branches) lower_block(b.body, schemas);
    if (s.kind != wir::Stmt::Kind::kOp) continue;
    const ir::OpSchema* schema = schemas.find(s.node->target);
    if (schema == nullptr) continue;  // not an ATen op: select_ops reports what it is
    auto sub = substitutes().find(schema->target());
    if (sub != substitutes().end()) {
      const ir::OpSchema* replacement = schemas.find(sub->second);
      // The node's arguments renamed to the replacement's names, by position.
      auto renamed = std::make_shared<ir::Node>(*s.node);
      for (ir::NamedArgument& input : renamed->inputs) {
        for (size_t i = 0; i < schema->arguments.size() && i < replacement->arguments.size(); ++i) {
          if (schema->arguments[i].name == input.name) {
            input.name = replacement->arguments[i].name;
            break;
          }
        }
      }
      s.note = fmt::format("{} called as {}: a view where the layout allows, else a copy", schema->target(),
                           replacement->target());
      s.rewritten = renamed;
      s.node = renamed.get();
      schema = replacement;
    }
    s.schema = schema;
    s.alias_of = aliased_input(*s.node, *schema);
    s.view = !s.alias_of.empty();
  }
}

}  // namespace

void lower_views(wir::Module& module, const ir::SchemaRegistry& schemas) {
  lower_block(module.body, schemas);
}

}  // namespace aotic::codegen
