#include "codegen/pipeline.h"

#include "ir/builtin_schemas.h"
#include "ir/error.h"

namespace aotic::codegen {
namespace {

/// Records the IR after the pass --dump-after asked for.
class Log {
 public:
  explicit Log(const PipelineOptions& options) : options_(options) {}
  void operator()(const char* pass, const wir::Module& module) const {
    if (options_.dump != nullptr && options_.dump_after == pass) *options_.dump = wir::to_text(module);
  }
  bool enabled(const char* pass) const { return options_.disabled.count(pass) == 0; }

 private:
  const PipelineOptions& options_;
};

std::string pass_list(bool optimising_only) {
  std::string out;
  for (const PassInfo& p : pipeline_passes()) {
    if (!optimising_only || p.optimising) out += (out.empty() ? "" : ", ") + std::string(p.name);
  }
  return out;
}

}  // namespace

const std::vector<PassInfo>& pipeline_passes() {
  static const std::vector<PassInfo> kPasses = {
      {"functionalize", true},       {"fold_batch_norm", true},   {"fuse_conv_relu", true},
      {"to_channels_last", true},    {"pack_conv_weights", true}, {"split_conv_bias", true},
      {"pack_linear_weights", true}, {"import_graph", false},     {"bind_shapes", false},
      {"lower_views", false},        {"check_types", false},      {"fold_constants", true},
      {"fuse_kernels", true},        {"dedup_kernels", true},     {"select_ops", false},
      {"insert_checks", false},      {"plan_lifetimes", false},   {"reuse_buffers", true},
      {"plan_memory", true},         {"plan_cuda_graphs", true},
  };
  return kPasses;
}

void check_pass_names(const PipelineOptions& options) {
  for (const std::string& name : options.disabled) {
    const PassInfo* found = nullptr;
    for (const PassInfo& p : pipeline_passes()) {
      if (name == p.name) found = &p;
    }
    if (found == nullptr) {
      user_error("--disable-pass: unknown pass '{}' (optimising passes: {})", name, pass_list(true));
    }
    if (!found->optimising) {
      user_error("--disable-pass: '{}' is needed to compile a model (optimising passes: {})", name,
                 pass_list(true));
    }
  }
}

wir::Module lower_program(const ir::Program& program, const ConstantsLayout& constants,
                          const PipelineOptions& options) {
  check_pass_names(options);
  const ir::SchemaRegistry& schemas = ir::builtin_schemas();
  const Log log(options);
  try {
    // Passes that rewrite the program itself work on a copy, kept by the module.
    auto rewritten = std::make_shared<ir::Program>(program);
    bool changed = false;
    if (log.enabled("functionalize")) changed |= functionalize(*rewritten, options.shim);
    if (log.enabled("fold_batch_norm")) changed |= fold_batch_norm(*rewritten);
    const bool fused_convs = options.shim.device == "cuda" &&
                             options.shim.names.count("aoti_torch_cuda_cudnn_convolution_relu") != 0 &&
                             options.shim.names.count("aoti_torch_cuda_cudnn_convolution_add_relu") != 0;
    if (log.enabled("fuse_conv_relu") && fused_convs) changed |= fuse_conv_relu(*rewritten);
    if (log.enabled("to_channels_last")) changed |= to_channels_last(*rewritten, options.shim.device);
    const bool packed_convs =
        options.shim.device == "cpu" && options.shim.names.count("aoti_torch_cpu_to_mkldnn") != 0 &&
        options.shim.names.count("aoti_torch_cpu_mkldnn_reorder_conv2d_weight") != 0 &&
        options.shim.names.count("aoti_torch_cpu_mkldnn__convolution_pointwise") != 0 &&
        options.shim.names.count("aoti_torch_cpu_mkldnn__convolution_pointwise_binary") != 0;
    if (log.enabled("pack_conv_weights") && packed_convs) changed |= pack_conv_weights(*rewritten);
    if (log.enabled("split_conv_bias") && log.enabled("fuse_kernels") && options.shim.device == "cpu")
      changed |= split_conv_bias(*rewritten);
    if (log.enabled("pack_linear_weights") && options.shim.device == "cpu") {
      changed |= pack_linear_weights(*rewritten, log.enabled("fuse_kernels"));
    }
    if (!changed) rewritten.reset();
    wir::Module m = import_graph(rewritten ? *rewritten : program, constants);
    m.rewritten_program = rewritten;
    // The program these two rewrote, as imported.
    log("functionalize", m);
    log("fold_batch_norm", m);
    log("fuse_conv_relu", m);
    log("to_channels_last", m);
    log("pack_conv_weights", m);
    log("split_conv_bias", m);
    log("pack_linear_weights", m);
    m.device = options.shim.device;
    log("import_graph", m);
    bind_shapes(m);
    log("bind_shapes", m);
    lower_views(m, schemas);
    log("lower_views", m);
    check_types(m);
    log("check_types", m);
    if (log.enabled("fold_constants")) fold_constants(m, schemas, options.shim);
    log("fold_constants", m);
    if (log.enabled("fuse_kernels")) fuse_kernels(m);
    log("fuse_kernels", m);
    if (log.enabled("dedup_kernels")) dedup_kernels(m);
    log("dedup_kernels", m);
    select_ops(m, schemas, options.shim);
    log("select_ops", m);
    if (options.debug_checks) insert_checks(m);
    log("insert_checks", m);
    plan_lifetimes(m);
    log("plan_lifetimes", m);
    if (log.enabled("reuse_buffers")) reuse_buffers(m);
    log("reuse_buffers", m);
    if (log.enabled("plan_memory")) plan_memory(m);
    log("plan_memory", m);
    if (log.enabled("plan_cuda_graphs") && options.graph_capture) plan_cuda_graphs(m);
    log("plan_cuda_graphs", m);
    return m;
  } catch (const UserError& e) {
    rethrow_in(e, program.source);
  }
}

}  // namespace aotic::codegen
