// enable(): checks each op can be cached and registers its KernelHolder at BackendSelect.
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <memory>

#include "eager/eager.h"
#include "eager/kernel_holder.h"
#include "ir/builtin_schemas.h"
#include "ir/error.h"

namespace aotic::eager {
namespace {

/// "aten::gelu" -> ("aten::gelu", ""), "aten::add.Tensor" -> ("aten::add", "Tensor").
c10::OperatorName operator_name(const std::string& op) {
  const size_t colon = op.find("::");
  if (colon == std::string::npos) user_error("{}: not an operator name (expected e.g. aten::add.Tensor)", op);
  const size_t dot = op.find('.', colon);
  if (dot == std::string::npos) return {op, ""};
  std::string overload = op.substr(dot + 1);
  if (overload == "default") overload.clear();
  return {op.substr(0, dot), overload};
}

/// Why `schema` cannot be cached, or "" when it can.
std::string why_not_cacheable(const ir::OpSchema& schema) {
  if (schema.is_mutable()) return "it writes to an argument";
  if (schema.is_vararg || schema.is_varret) return "it takes or returns a variable number of values";
  if (schema.returns.empty()) return "it returns nothing";
  for (const ir::SchemaArgument& r : schema.returns) {
    if (r.type.kind != ir::SchemaType::Kind::Tensor) return "it returns a " + r.type.to_string();
    if (r.alias) return "it returns a view of an argument";
  }
  bool any_tensor = false;
  for (const ir::SchemaArgument& a : schema.arguments) any_tensor = any_tensor || a.type.is_tensor_like();
  if (!any_tensor) return "it takes no tensor";
  return "";
}

class RegistrationImpl final : public Registration {
 public:
  Stats stats() const override { return stats_->snapshot(); }
  std::vector<std::string> ops() const override { return ops_; }
  void wait_for_compiles() override {
    if (queue_) queue_->wait();
  }

  std::shared_ptr<AtomicStats> stats_ = std::make_shared<AtomicStats>();
  std::vector<std::string> ops_;
  // Destroyed after the kernels are unregistered: drops queued compiles, finishes the running one.
  // Only the registration owns it: a job may hold the last reference to its op's cache.
  std::unique_ptr<CompileQueue> queue_;
  // Destroyed first (declared last): unregisters the kernels before the caches go.
  std::vector<std::unique_ptr<torch::Library>> libraries_;
};

}  // namespace

std::unique_ptr<Registration> enable(const std::vector<std::string>& ops, const Options& options) {
  if (options.cache_dir.empty()) user_error("aotic eager: no cache directory given");
  auto registration = std::make_unique<RegistrationImpl>();
  if (options.background_compile) registration->queue_ = std::make_unique<CompileQueue>();

  // Everything is checked before anything is registered.
  struct Planned {
    std::string op;
    std::string ns;
    const ir::OpSchema* schema;
  };
  std::vector<Planned> planned;
  for (const std::string& op : ops) {
    const c10::OperatorName name = operator_name(op);
    const c10::optional<c10::OperatorHandle> handle = c10::Dispatcher::singleton().findSchema(name);
    if (!handle) user_error("{}: libtorch has no such operator", op);
    const std::string target = name.name.substr(0, name.name.find("::")) + "." +
                               name.name.substr(name.name.find("::") + 2) + "." +
                               (name.overload_name.empty() ? "default" : name.overload_name);
    const ir::OpSchema* schema = ir::builtin_schemas().find(target);
    if (schema == nullptr) user_error("{}: aotic has no schema for it", op);
    const std::string why = why_not_cacheable(*schema);
    if (!why.empty()) user_error("{}: cannot be cached: {}", op, why);
    // The stack follows libtorch's schema; the program follows aotic's (PyTorch 2.11's).
    const auto& live = handle->schema().arguments();
    bool same = live.size() == schema->arguments.size();
    for (size_t i = 0; same && i < live.size(); ++i) same = live[i].name() == schema->arguments[i].name;
    if (!same) {
      user_error("{}: cannot be cached: libtorch's schema ({}) differs from aotic's ({})", op,
                 c10::toString(handle->schema()), schema->to_string());
    }
    if (handle->hasKernelForDispatchKey(c10::DispatchKey::CompositeImplicitAutograd)) {
      user_error(
          "{}: cannot be cached: libtorch runs it as other ops (CompositeImplicitAutograd); register those",
          op);
    }
    if (handle->hasKernelForDispatchKey(c10::DispatchKey::BackendSelect)) {
      user_error("{}: cannot be cached: it already has a BackendSelect kernel (a factory function)", op);
    }
    planned.push_back({schema->qualified_name(), name.name.substr(0, name.name.find("::")), schema});
  }

  for (const Planned& p : planned) {
    auto cache =
        std::make_shared<OpCache>(p.op, *p.schema, options, registration->stats_, registration->queue_.get());
    auto library = std::make_unique<torch::Library>(torch::Library::IMPL, p.ns,
                                                    c10::DispatchKey::BackendSelect, __FILE__, __LINE__);
    library->impl(p.op.substr(p.op.find("::") + 2).c_str(),
                  torch::CppFunction::makeFromBoxedFunctor(std::make_unique<KernelHolder>(std::move(cache))));
    registration->libraries_.push_back(std::move(library));
    registration->ops_.push_back(p.op);
  }
  return registration;
}

}  // namespace aotic::eager
