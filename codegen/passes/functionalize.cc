// functionalize: an in-place op whose updated tensor nothing reads afterwards (but the op's own
// result) becomes its functional form, as PyTorch exports nn.ReLU(inplace=True), Hardswish and
// ResNet's `out += identity`:
//
//   relu_ = aten.relu_.default(%conv)               =>   relu_ = aten.relu.default(%conv)
//   add_ = aten.add_.Tensor(%bn, %identity)         =>   add_ = aten.add.Tensor(%bn, %identity)
//
// The passes after it then see one dataflow value per result: fuse_kernels fuses the op into a
// generated kernel, to_channels_last keeps its layout, fuse_conv_relu and pack_conv_weights fold it
// into the convolution before it. It rewrites the program itself (a copy), first.
//
// When: the op is aten.<name>_.<overload>, writes its first argument only and returns it; the
// functional aten.<name>.<overload> takes the same arguments, has a shim function and does not
// give bool (comparisons and logical ops keep self's dtype only in place); the updated tensor is the result
// of a node that is not a view of another value (no alias annotation on its return), no earlier reader made a
// view of it, no later node and no output reads it, and every tensor argument has its dtype (the functional
// op would promote where the in-place op keeps the dtype).
#include <map>
#include <set>

#include "codegen/passes/passes.h"
#include "ir/builtin_schemas.h"
#include "ir/error.h"
#include "shim/gen/shim_gen.h"

namespace aotic::codegen {
namespace {

using ir::ArgKind;
using ir::Argument;
using ir::NamedArgument;
using ir::Node;
using ir::OpSchema;

/// Functional forms whose result is bool whatever the input (comparisons, logical ops): in place
/// they keep self's dtype instead.
bool bool_result(const std::string& name) {
  static const std::set<std::string> kOps = {"eq",         "ne",          "lt",         "le",
                                             "gt",         "ge",          "greater",    "greater_equal",
                                             "less",       "less_equal",  "not_equal",  "logical_and",
                                             "logical_or", "logical_xor", "logical_not"};
  return kOps.count(name) != 0;
}

/// aten.<name>_.<overload> -> its functional schema, when the arguments match one to one and the
/// shim has a function for it (so select_ops can always lower it).
const OpSchema* functional_form(const OpSchema& inplace, const ir::SchemaRegistry& schemas,
                                const ShimFunctions& shim) {
  if (inplace.ns != "aten" || inplace.name.size() < 2 || inplace.name.back() != '_' ||
      inplace.name.compare(0, 2, "__") == 0 || inplace.arguments.empty() || inplace.returns.size() != 1)
    return nullptr;
  if (!inplace.arguments[0].is_write() || !inplace.returns[0].is_write()) return nullptr;
  for (size_t i = 1; i < inplace.arguments.size(); ++i) {
    if (inplace.arguments[i].alias) return nullptr;
  }
  const std::string name = inplace.name.substr(0, inplace.name.size() - 1);
  if (bool_result(name)) return nullptr;
  const OpSchema* f =
      schemas.find("aten." + name + "." + (inplace.overload.empty() ? "default" : inplace.overload));
  if (f == nullptr || f->arguments.size() != inplace.arguments.size() || f->returns.size() != 1 ||
      f->returns[0].alias)
    return nullptr;
  for (size_t i = 0; i < f->arguments.size(); ++i) {
    const ir::SchemaArgument& a = f->arguments[i];
    const ir::SchemaArgument& b = inplace.arguments[i];
    if (a.alias || a.type.to_string() != b.type.to_string() || a.kwarg_only != b.kwarg_only) return nullptr;
  }
  try {
    if (shim.names.count(shim_gen::c_function(*f, shim.device).name) == 0) return nullptr;
  } catch (const UserError&) {
    return nullptr;  // no C signature for it
  }
  return f;
}

class Functionalizer {
 public:
  Functionalizer(ir::Program& program, const ir::SchemaRegistry& schemas, const ShimFunctions& shim)
      : graph_(program.graph), schemas_(schemas), shim_(shim) {
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      for (const Argument& out : graph_.nodes[i].outputs) {
        if (out.kind == ArgKind::kTensor) defined_by_[out.name] = i;
      }
      for (const NamedArgument& in : graph_.nodes[i].inputs) {
        for (const std::string& n : in.arg.value_names()) last_read_[n] = i;
      }
    }
    for (const Argument& out : graph_.outputs) {
      for (const std::string& n : out.value_names()) returned_.insert(n);
    }
  }

  bool run() {
    bool changed = false;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      Node& node = graph_.nodes[i];
      const OpSchema* inplace = schemas_.find(node.op_name());
      if (inplace == nullptr || node.outputs.size() != 1 || node.outputs[0].kind != ArgKind::kTensor)
        continue;
      const OpSchema* functional = functional_form(*inplace, schemas_, shim_);
      if (functional == nullptr) continue;
      const std::string self = self_value(node, *inplace);
      if (self.empty() || !updatable(self, i) || !same_dtypes(node, self)) continue;
      // The functional op, its arguments named as its schema names them.
      std::map<std::string, std::string> renamed;
      for (size_t a = 0; a < functional->arguments.size(); ++a)
        renamed[inplace->arguments[a].name] = functional->arguments[a].name;
      for (NamedArgument& in : node.inputs) {
        auto it = renamed.find(in.name);
        if (it != renamed.end()) in.name = it->second;
      }
      node.target = "torch.ops." + functional->target();
      changed = true;
    }
    return changed;
  }

 private:
  static std::string self_value(const Node& node, const OpSchema& schema) {
    const NamedArgument* self = node.find_input(schema.arguments[0].name);
    if (self == nullptr || self->arg.kind != ArgKind::kTensor) return "";
    return self->arg.name;
  }

  /// Whether `value` may be updated at node `at` as if it were a fresh result: a node's own
  /// (non-view) result, read by nothing after `at` and not returned.
  bool updatable(const std::string& value, size_t at) const {
    if (returned_.count(value) != 0) return false;
    auto read = last_read_.find(value);
    if (read != last_read_.end() && read->second > at) return false;
    auto def = defined_by_.find(value);
    if (def == defined_by_.end() || def->second >= at) return false;
    // No earlier reader may have made a view of it (the view would see the update).
    for (size_t j = def->second + 1; j < at; ++j) {
      if (!reads(graph_.nodes[j], value)) continue;
      const OpSchema* reader = schemas_.find(graph_.nodes[j].op_name());
      if (reader == nullptr) return false;
      for (const ir::SchemaArgument& r : reader->returns) {
        if (r.alias) return false;
      }
    }
    const Node& producer = graph_.nodes[def->second];
    const OpSchema* schema = schemas_.find(producer.op_name());
    if (schema == nullptr || schema->returns.size() != producer.outputs.size()) return false;
    for (size_t r = 0; r < producer.outputs.size(); ++r) {
      if (producer.outputs[r].kind == ArgKind::kTensor && producer.outputs[r].name == value)
        return !schema->returns[r].alias.has_value();
    }
    return false;
  }

  static bool reads(const Node& node, const std::string& value) {
    for (const NamedArgument& in : node.inputs) {
      for (const std::string& n : in.arg.value_names()) {
        if (n == value) return true;
      }
    }
    return false;
  }

  bool same_dtypes(const Node& node, const std::string& self) const {
    const ir::TensorMeta* s = graph_.find_tensor(self);
    const ir::TensorMeta* out = graph_.find_tensor(node.outputs[0].name);
    if (s == nullptr || out == nullptr || out->dtype != s->dtype) return false;
    for (const NamedArgument& in : node.inputs) {
      for (const std::string& n : in.arg.value_names()) {
        const ir::TensorMeta* t = graph_.find_tensor(n);
        if (t != nullptr && t->dtype != s->dtype) return false;
      }
    }
    return true;
  }

  ir::Graph& graph_;
  const ir::SchemaRegistry& schemas_;
  const ShimFunctions& shim_;
  std::map<std::string, size_t> defined_by_;
  std::map<std::string, size_t> last_read_;  // value -> the last node reading it
  std::set<std::string> returned_;
};

}  // namespace

bool functionalize(ir::Program& program, const ShimFunctions& shim) {
  return Functionalizer(program, ir::builtin_schemas(), shim).run();
}

}  // namespace aotic::codegen
