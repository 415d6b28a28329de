// The lowering pipeline pass by pass, through --dump-after's text of the wrapper IR.
#include <doctest/doctest.h>

#include <string>

#include "codegen/compile.h"
#include "codegen/cpu_printer.h"
#include "codegen/lower_args.h"
#include "codegen/pipeline.h"
#include "ir/error.h"
#include "ir/load.h"
#include "tests/test_util.h"

namespace aotic {
namespace {

/// The IR after `stage`, every pass as `aotic compile` runs it.
std::string dump_packed(const std::string& fixture, const std::string& stage,
                        const codegen::CompileOptions& options = {}) {
  ir::Program program = ir::load_program(fixture);
  return codegen::dump_after(program, stage, options);
}

/// The same with the linears as exported (addmm, linear): what the tests of other passes read
/// (pack_linear_weights has its own test).
std::string dump_program(const ir::Program& program, const std::string& stage,
                         codegen::CompileOptions options = {}) {
  options.disabled_passes.insert("pack_linear_weights");
  return codegen::dump_after(program, stage, options);
}

std::string dump(const std::string& fixture, const std::string& stage,
                 const codegen::CompileOptions& options = {}) {
  return dump_program(ir::load_program(fixture), stage, options);
}

/// The same without generated kernels or folding: every op through select_ops, in run().
std::string dump_unfused(const std::string& fixture, const std::string& stage,
                         codegen::CompileOptions options = {}) {
  options.disabled_passes.insert("fuse_kernels");
  options.disabled_passes.insert("fold_constants");
  return dump(fixture, stage, options);
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST_CASE("select_ops: on a GPU, integer Scalars passed as 0-dim tensors are made on the GPU") {
  codegen::CompileOptions cuda;
  cuda.device = "cuda";
  const std::string gpu = dump(testing::extra("int_ops.pt2"), "codegen", cuda);
  CHECK(gpu.find(
            "    check(aoti_torch_empty_strided(0, nullptr, nullptr, kInt64, kCUDA, state.device_index(),\n"
            "        scalar_1.out()), \"aoti_torch_empty_strided\");\n"
            "    check(aoti_torch_cuda_fill__Scalar(scalar_1.get(), static_cast<double>(2)),\n"
            "        \"aoti_torch_cuda_fill__Scalar\");\n"
            "    check(aoti_torch_cuda_pow_Tensor_Tensor(idx, scalar_1.get(), pow_1.out()),\n") !=
        std::string::npos);
  // A literal a double cannot hold exactly: made on the host, copied to the GPU.
  ir::Program program = ir::load_program(testing::extra("int_ops.pt2"));
  bool edited = false;
  for (ir::Node& node : program.graph.nodes) {
    if (node.target != "torch.ops.aten.pow.Tensor_Scalar") continue;
    for (ir::NamedArgument& input : node.inputs) {
      if (input.name == "exponent" && input.arg.kind == ir::ArgKind::kInt) {
        input.arg.int_value = (int64_t{1} << 53) + 1;
        edited = true;
      }
    }
  }
  REQUIRE(edited);
  const std::string large = dump_program(program, "codegen", cuda);
  CHECK(large.find(
            "    check(aoti_torch_scalar_to_tensor_int64(9007199254740993, scalar_host.out()), "
            "\"aoti_torch_scalar_to_tensor_int64\");\n"
            "    check(aoti_torch_copy_(scalar_1.get(), scalar_host.get(), 0), \"aoti_torch_copy_\");\n") !=
        std::string::npos);
  // On the CPU a CPU scalar, as before.
  const std::string host = dump(testing::extra("int_ops.pt2"), "codegen");
  CHECK(host.find("fill__Scalar") == std::string::npos);
  CHECK(host.find("aoti_torch_scalar_to_tensor_int64(2, scalar_1.out())") != std::string::npos);
}

TEST_CASE(
    "plan_cuda_graphs: static CUDA models replay graphs; symbolic shapes, conds and host reads do not") {
  codegen::CompileOptions cuda;
  cuda.device = "cuda";
  CHECK(dump(testing::fixture("tiny_gpt.core.pt2"), "plan_cuda_graphs", cuda)
            .find("cuda graphs: runs are captured once and replayed\n") != std::string::npos);
  CHECK(dump(testing::fixture("mlp_dyn.pt2"), "plan_cuda_graphs", cuda)
            .find("cuda graphs: no, its shapes are symbolic (s77...)\n") != std::string::npos);
  CHECK(
      dump(testing::extra("cond.pt2"), "plan_cuda_graphs", cuda)
          .find(
              "cuda graphs: no, node 'cond' (higher_order.cond): a cond reads its predicate on the host\n") !=
      std::string::npos);
  CHECK(dump(testing::extra("masked_select.pt2"), "plan_cuda_graphs", cuda).find("cuda graphs: no, ") !=
        std::string::npos);
  // cuDNN's RNN ops are captured too (checked on a GPU by tools/check_cuda.py: graphs replayed by
  // two instances on two streams match PyTorch).
  CHECK(dump(testing::extra("lstm_tagger.pt2"), "plan_cuda_graphs", cuda)
            .find("cuda graphs: runs are captured once and replayed\n") != std::string::npos);
  CHECK(dump(testing::extra("gru_encoder.pt2"), "plan_cuda_graphs", cuda)
            .find("cuda graphs: runs are captured once and replayed\n") != std::string::npos);
  // PyTorch's C shim cannot capture; the CPU has no graphs; the pass can be switched off.
  codegen::CompileOptions host = cuda;
  host.shim = codegen::ShimMode::kHost;
  CHECK(dump(testing::fixture("small_cnn.core.pt2"), "plan_cuda_graphs", host).find("cuda graphs") ==
        std::string::npos);
  CHECK(dump(testing::fixture("small_cnn.pt2"), "plan_cuda_graphs").find("cuda graphs") == std::string::npos);
  codegen::CompileOptions off = cuda;
  off.disabled_passes = {"plan_cuda_graphs"};
  const std::string source = dump(testing::fixture("small_cnn.pt2"), "codegen", off);
  CHECK(source.find("run_ops") == std::string::npos);
  CHECK(source.find("nullptr, nullptr,\n  fold,\n};") != std::string::npos);
  CHECK(
      dump(testing::fixture("small_cnn.pt2"), "codegen", cuda).find("new_graph_state, delete_graph_state,") !=
      std::string::npos);
}

TEST_CASE("fuse_conv_relu: a convolution is not moved past an in-place update of its input") {
  codegen::CompileOptions cuda;
  cuda.device = "cuda";
  const std::string ir = dump(testing::extra("res_cnn_inplace.pt2"), "fuse_conv_relu", cuda);
  // conv2d_5 (batch_norm_5 once its batch norm is folded) reads relu__3, which relu__3_twice (add_) doubles
  // afterwards: fused with the residual add and relu, it would run at relu__4, after the update.
  CHECK(ir.find("op relu__4 = aten.relu.default(%add__1)") != std::string::npos);
  CHECK(ir.find("op relu__4 = aten.cudnn_convolution_add_relu") == std::string::npos);
  const size_t conv = ir.find("op batch_norm_5 = aten.conv2d.default(%relu__3,");  // batch norm folded
  const size_t update = ir.find("op relu__3_twice = aten.add_.Tensor(%relu__3, %relu__3");
  REQUIRE(conv != std::string::npos);
  REQUIRE(update != std::string::npos);
  CHECK(conv < update);
  // With nothing updated in between, the same block is fused (res_cnn, the model without add_).
  const std::string plain = dump(testing::extra("res_cnn.pt2"), "fuse_conv_relu", cuda);
  CHECK(plain.find("= aten.cudnn_convolution_add_relu.default(") != std::string::npos);
}

TEST_CASE("schema defaults written as c10 enum numbers become the export's codes") {
  // aten::contiguous(Tensor(a) self, *, MemoryFormat memory_format=0): c10's Contiguous.
  ir::SchemaType memory_format;
  memory_format.kind = ir::SchemaType::Kind::MemoryFormat;
  const auto contiguous = codegen::default_argument(memory_format, "0");
  REQUIRE(contiguous.has_value());
  CHECK(contiguous->kind == ir::ArgKind::kMemoryFormat);
  CHECK(contiguous->int_value == 1);                                     // the export's contiguous_format
  CHECK(codegen::default_argument(memory_format, "1")->int_value == 4);  // preserve_format
  CHECK(codegen::default_argument(memory_format, "contiguous_format")->int_value == 1);
  CHECK(!codegen::default_argument(memory_format, "7").has_value());
  // aten::randperm(SymInt n, *, ScalarType? dtype=4, ...): c10's Long.
  ir::SchemaType dtype;
  dtype.kind = ir::SchemaType::Kind::Optional;
  dtype.elems.emplace_back();
  dtype.elems[0].kind = ir::SchemaType::Kind::ScalarType;
  const auto long_dtype = codegen::default_argument(dtype, "4");
  REQUIRE(long_dtype.has_value());
  CHECK(long_dtype->kind == ir::ArgKind::kScalarType);
  CHECK(long_dtype->int_value == static_cast<int64_t>(ir::DType::kInt64));
  CHECK(codegen::default_argument(dtype, "None")->kind == ir::ArgKind::kNone);
  CHECK(codegen::default_argument(dtype, "15")->int_value == static_cast<int64_t>(ir::DType::kBFloat16));
  CHECK(!codegen::default_argument(dtype, "12").has_value());
}

TEST_CASE("the pipeline lists its passes in order, and --dump-after knows each") {
  std::vector<std::string> names;
  for (const codegen::PassInfo& p : codegen::pipeline_passes()) names.emplace_back(p.name);
  CHECK(names == std::vector<std::string>{
                     "functionalize",     "fold_batch_norm", "fuse_conv_relu",      "to_channels_last",
                     "pack_conv_weights", "split_conv_bias", "pack_linear_weights", "import_graph",
                     "bind_shapes",       "lower_views",     "check_types",         "fold_constants",
                     "fuse_kernels",      "dedup_kernels",   "select_ops",          "insert_checks",
                     "plan_lifetimes",    "reuse_buffers",   "plan_memory",         "plan_cuda_graphs"});
  std::vector<std::string> stages = codegen::dump_stages();
  CHECK(stages.front() == "load");
  CHECK(stages.back() == "codegen");
  for (const std::string& name : names) {
    CAPTURE(name);
    CHECK(!dump(testing::fixture("mlp.core.pt2"), name).empty());
  }
}

TEST_CASE("import_graph: one op per node; select_ops: shim calls, .out variants into buffers, kernels") {
  const std::string imported = dump(testing::fixture("mlp.core.pt2"), "import_graph");
  CHECK(imported.find("op addmm = aten.addmm.default(%p_l1_bias, %x, %permute)\n") != std::string::npos);
  CHECK(imported.find("return addmm_1\n") != std::string::npos);

  codegen::CompileOptions host;
  host.shim = codegen::ShimMode::kHost;
  const std::string selected = dump_unfused(testing::fixture("mlp.core.pt2"), "select_ops", host);
  CHECK(selected ==
        "input x : float32[8, 64]\n"
        "constant p_l1_weight : float32[128, 64]  # l1.weight\n"
        "constant p_l1_bias : float32[128]  # l1.bias\n"
        "constant p_l2_weight : float32[10, 128]  # l2.weight\n"
        "constant p_l2_bias : float32[10]  # l2.bias\n"
        "view permute = aoti_torch_cpu_permute(p_l1_weight, [1, 0])  # aliases p_l1_weight\n"
        "alloc addmm : float32[8, 128] strides [128, 1]\n"
        "call aoti_torch_cpu_addmm_out(addmm, p_l1_bias, x, permute, 1.0, 1.0)\n"
        "alloc relu : float32[8, 128] strides [128, 1]\n"
        "kernel kernel_relu(addmm -> relu)\n"
        "view permute_1 = aoti_torch_cpu_permute(p_l2_weight, [1, 0])  # aliases p_l2_weight\n"
        "alloc addmm_1 : float32[8, 10] strides [10, 1]\n"
        "call aoti_torch_cpu_addmm_out(addmm_1, p_l2_bias, relu, permute_1, 1.0, 1.0)\n"
        "return addmm_1\n");
}

TEST_CASE("lower_views: aten.view is called as reshape, with the reason; views are marked") {
  const std::string lowered = dump(testing::fixture("tiny_gpt.core.pt2"), "lower_views");
  CHECK(lowered.find(
            "op view = aten.reshape.default(%getitem, [128, 128])  # view  # aten.view.default called "
            "as aten.reshape.default: a view where the layout allows, else a copy\n") != std::string::npos);
  CHECK(lowered.find("op permute = aten.permute.default(%p_blocks_0_qkv_weight, [1, 0])  # view\n") !=
        std::string::npos);
}

TEST_CASE("plan_lifetimes: a value is freed right after its last use, whatever aliases it") {
  const std::string planned = dump_unfused(testing::fixture("mlp.core.pt2"), "plan_lifetimes");
  // addmm dies after relu reads it (relu's schema says its result aliases nothing), not at the end.
  CHECK(planned.find("call relu = aoti_torch_cpu_relu(addmm)\nfree addmm\n") != std::string::npos);
  // The model's output is handed out, never freed.
  CHECK(planned.find("free addmm_1") == std::string::npos);
  // Each owned value is freed exactly once.
  for (const char* value : {"free permute\n", "free addmm\n", "free relu\n", "free permute_1\n"}) {
    CAPTURE(value);
    CHECK(count(planned, value) == 1);
  }
}

TEST_CASE("plan_lifetimes: each cond branch frees its own values and keeps its outputs") {
  const std::string planned = dump_unfused(testing::repo_path("tests/data/extra/cond.pt2"), "plan_lifetimes");
  CHECK(planned.find("    call relu = aoti_torch_cpu_relu(linear)\n    free linear\n  }\n") !=
        std::string::npos);
  CHECK(planned.find("free relu") == std::string::npos);
  CHECK(planned.find("}\nfree gt\nreturn getitem\n") != std::string::npos);
}

TEST_CASE("reuse_buffers: equal buffers are reused once dead; --disable-pass reuse_buffers turns it off") {
  const std::string reused = dump(testing::fixture("tiny_gpt.core.pt2"), "reuse_buffers");
  CHECK(reused.find("free addmm  # reused by addmm_3\n") != std::string::npos);
  CHECK(reused.find("alloc addmm_3 : reuse addmm\n") != std::string::npos);
  CHECK(count(reused, ": reuse ") == count(reused, "  # reused by "));
  CHECK(count(reused, ": reuse ") >= 6);

  codegen::CompileOptions options;
  options.disabled_passes = {"reuse_buffers"};
  const std::string plain = dump(testing::fixture("tiny_gpt.core.pt2"), "reuse_buffers", options);
  CHECK(count(plain, ": reuse ") == 0);
  CHECK(plain == dump(testing::fixture("tiny_gpt.core.pt2"), "plan_lifetimes"));
}

TEST_CASE("--disable-pass: only optimising passes, by a known name") {
  codegen::CompileOptions options;
  options.disabled_passes = {"fuse_everything"};
  try {
    dump(testing::fixture("mlp.core.pt2"), "codegen", options);
    FAIL("expected a UserError");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()) ==
          "--disable-pass: unknown pass 'fuse_everything' (optimising passes: functionalize, "
          "fold_batch_norm, fuse_conv_relu, "
          "to_channels_last, pack_conv_weights, split_conv_bias, pack_linear_weights, fold_constants, "
          "fuse_kernels, "
          "dedup_kernels, reuse_buffers, plan_memory, plan_cuda_graphs)");
  }
  options.disabled_passes = {"select_ops"};
  try {
    dump(testing::fixture("mlp.core.pt2"), "codegen", options);
    FAIL("expected a UserError");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()) ==
          "--disable-pass: 'select_ops' is needed to compile a model (optimising passes: functionalize, "
          "fold_batch_norm, "
          "fuse_conv_relu, to_channels_last, pack_conv_weights, split_conv_bias, pack_linear_weights, "
          "fold_constants, "
          "fuse_kernels, dedup_kernels, reuse_buffers, plan_memory, plan_cuda_graphs)");
  }
}

}  // namespace
}  // namespace aotic

namespace aotic {
namespace {

TEST_CASE("bind_shapes: inputs sized a*s + b bind or check s; other sizes are a user error") {
  const std::string bound = dump(testing::repo_path("tests/data/extra/derived_dims.pt2"), "bind_shapes");
  CHECK(bound.find("symbol s68 in 1..64\n") == 0);
  CHECK(bound.find("input x : float32[2, 8*s68]\n") != std::string::npos);

  ir::Program program = ir::load_program(testing::fixture("mlp_dyn.core.pt2"));
  const std::string input = program.signature.inputs.back().arg.name;  // the user input comes last
  REQUIRE(program.signature.inputs.back().kind == ir::InputKind::kUserInput);
  program.graph.tensor_values.at(input).sizes[0] = ir::SymExpr::parse("a*b");
  try {
    dump_program(program, "bind_shapes");
    FAIL("expected a UserError");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()) ==
          testing::fixture("mlp_dyn.core.pt2") + ": input '" + input +
              "': size 0 is a*b: only a*s + b in one size symbol is supported for inputs");
  }
}

}  // namespace
}  // namespace aotic

namespace aotic {
namespace {

TEST_CASE("select_ops: Python ints as Scalars of an integer result go through the Tensor overload") {
  const std::string selected =
      dump_unfused(testing::repo_path("tests/data/extra/int_ops.core.pt2"), "select_ops");
  CHECK(
      selected.find("call clamp = aoti_torch_cpu_clamp_Tensor(idx, tensor(0, int64), tensor(5, int64))\n") !=
      std::string::npos);
  CHECK(selected.find("call clamp_1 = aoti_torch_cpu_clamp_Tensor(idx, None, tensor(4, int64))\n") !=
        std::string::npos);
  CHECK(selected.find("call pow_1 = aoti_torch_cpu_pow_Tensor_Tensor(idx, tensor(2, int64))\n") !=
        std::string::npos);
  // A float result keeps the Scalar overload (the double is right there).
  const std::string floats =
      dump_unfused(testing::repo_path("tests/data/extra/common_ops.core.pt2"), "select_ops");
  CHECK(floats.find("call clamp = aoti_torch_cpu_clamp(x, None, 0.5)\n") != std::string::npos);
  const std::string source = dump_unfused(testing::repo_path("tests/data/extra/int_ops.core.pt2"), "codegen");
  CHECK(source.find("// aten.clamp.default with an integer Scalar, called as aten.clamp.Tensor: keeps the "
                    "integer type\n") != std::string::npos);
}

}  // namespace
}  // namespace aotic

namespace aotic {
namespace {

TEST_CASE("the printer never gives a value the name of an ABI code from templates/abi_codes.h") {
  ir::Program program = ir::load_program(testing::fixture("mlp.core.pt2"));
  // Rename the user input x to kSparseCoo everywhere the graph mentions it.
  for (ir::InputSpec& spec : program.signature.inputs) {
    if (spec.arg.name == "x") spec.arg.name = "kSparseCoo";
  }
  for (ir::Argument& in : program.graph.inputs) {
    if (in.name == "x") in.name = "kSparseCoo";
  }
  program.graph.tensor_values["kSparseCoo"] = program.graph.tensor_values.at("x");
  program.graph.tensor_values.erase("x");
  for (ir::Node& node : program.graph.nodes) {
    for (ir::NamedArgument& in : node.inputs) {
      if (in.arg.kind == ir::ArgKind::kTensor && in.arg.name == "x") in.arg.name = "kSparseCoo";
    }
  }
  const std::string source = codegen::generate_model_cpp(program, "mlp.core.pt2");
  CHECK(source.find("AtenTensorHandle kSparseCoo_1 = inputs[0];\n") != std::string::npos);
}

}  // namespace
}  // namespace aotic

namespace aotic {
namespace {

/// The internal error dumping `program` throws, or "" when it throws none.
std::string internal_error(const ir::Program& program) {
  try {
    dump_program(program, "select_ops");
  } catch (const InternalError& e) {
    const std::string what = e.what();
    return what.substr(what.find(": node ") + 2);  // without "internal error at FILE:LINE"
  }
  return "";
}

TEST_CASE("check_types: where aotic infers a result type, disagreeing with the export is an internal error") {
  ir::Program program = ir::load_program(testing::fixture("mlp.core.pt2"));
  CHECK(internal_error(program).empty());
  // A view keeps its input's dtype and permutes its sizes.
  program.graph.tensor_values.at("permute").dtype = ir::DType::kFloat64;
  CHECK(internal_error(program) ==
        "node 'permute' (aten.permute.default): aotic infers result dtype float32, export recorded float64");
  program = ir::load_program(testing::fixture("mlp.core.pt2"));
  program.graph.tensor_values.at("permute").sizes = {ir::SymExpr::constant(128), ir::SymExpr::constant(64)};
  CHECK(internal_error(program) ==
        "node 'permute' (aten.permute.default): aotic infers result size 0 = 64, export recorded 128");
  // relu of a float32 tensor is float32 of the same sizes (what the generated kernel assumes).
  program = ir::load_program(testing::fixture("mlp.core.pt2"));
  program.graph.tensor_values.at("relu").sizes.pop_back();
  CHECK(internal_error(program) ==
        "node 'relu' (aten.relu.default): aotic infers result rank 2, export recorded 1");
  // A comparison is bool whatever its inputs; sym_size is the input's size.
  program = ir::load_program(testing::repo_path("tests/data/extra/cond.pt2"));
  std::string compared;
  for (const ir::Node& node : program.graph.nodes) {
    if (node.target == "torch.ops.aten.gt.Scalar") compared = node.outputs.at(0).name;
  }
  REQUIRE(!compared.empty());
  CHECK(internal_error(program).empty());
  program.graph.tensor_values.at(compared).dtype = ir::DType::kUInt8;
  CHECK(internal_error(program) ==
        "node '" + compared + "' (aten.gt.Scalar): aotic infers result dtype bool, export recorded uint8");
  program = ir::load_program(testing::repo_path("tests/data/extra/masked_select.pt2"));
  CHECK(internal_error(program).empty());
  program.graph.sym_int_values.at("sym_size_int").expr = ir::SymExpr::symbol("u1");
  CHECK(internal_error(program) ==
        "node 'sym_size_int' (aten.sym_size.int): aotic infers the size 0 = u0, export recorded u1");
}

TEST_CASE("select_ops: a data-dependent size is read from the op's result; the export's assertions stay") {
  const std::string selected = dump(testing::repo_path("tests/data/extra/masked_select.pt2"), "select_ops");
  CHECK(selected.find("call masked_select = aoti_torch_cpu_masked_select(xs_0, xs_1)\n"
                      "size u0 = masked_select.size(0)  # data-dependent\n"
                      "size sym_size_int = u0\n"
                      "size ge = Ge(u0, 0)\n"
                      "assert ge  # \"node '_assert_scalar_default' (aten._assert_scalar.default): Runtime "
                      "assertion failed for expression u0 >= 0 on node 'ge'\"\n") != std::string::npos);
  // The output is sized by u0: its spec leaves the size unchecked.
  const std::string source = dump(testing::repo_path("tests/data/extra/masked_select.pt2"), "codegen");
  CHECK(source.find("const int64_t u0 = aotic::runtime::size_of(masked_select.get(), 0);\n") !=
        std::string::npos);
  CHECK(source.find("constexpr aotic::runtime::DimSpec kOutput0Dims[] = {{-1, -1, 0, 0, nullptr}};") !=
        std::string::npos);
}

TEST_CASE(
    "select_ops: .item() of an index tensor binds a symbol; a slice's size and offset are read from it") {
  const std::string selected =
      dump(testing::repo_path("tests/data/extra/tensor_split.core.pt2"), "select_ops");
  CHECK(selected.find("size u20 = squeeze.item()  # data-dependent\n"
                      "size _local_scalar_dense = u20\n") != std::string::npos);
  CHECK(selected.find("view slice_5 = aoti_torch_cpu_slice_Tensor(xs_0, 0, _local_scalar_dense, "
                      "_local_scalar_dense_1, 1)  # aliases xs_0\n"
                      "size u4 = slice_5.size(0)  # data-dependent\n"
                      "size sym_size_int_5 = u4\n"
                      "size u5 = slice_5.storage_offset()  # data-dependent\n"
                      "size sym_storage_offset_default_3 = u5\n") != std::string::npos);
  const std::string source = dump(testing::repo_path("tests/data/extra/tensor_split.core.pt2"), "codegen");
  CHECK(source.find("const int64_t u20 = aotic::runtime::item_as_int(squeeze.get(),\n"
                    "      \"node '_local_scalar_dense' (aten._local_scalar_dense.default)\");\n") !=
        std::string::npos);
  CHECK(source.find("const int64_t u5 = aotic::runtime::storage_offset_of(slice_5.get());\n") !=
        std::string::npos);
}

TEST_CASE("select_ops: an .item() the export equated with a bound symbol is read under its own name") {
  ir::Program program = ir::load_program(testing::repo_path("tests/data/extra/tensor_split.core.pt2"));
  // As after torch._check(a.item() == b.item()): the second value recorded as the first's symbol.
  program.graph.sym_int_values.at("_local_scalar_dense_1").expr = ir::SymExpr::symbol("u20");
  const std::string selected = dump_program(program, "select_ops");
  CHECK(selected.find("size u20 = squeeze.item()  # data-dependent\n") != std::string::npos);
  CHECK(selected.find("size _local_scalar_dense_1 = squeeze_1.item()  # data-dependent\n") !=
        std::string::npos);
  CHECK(selected.find("size u20 = squeeze_1") == std::string::npos);  // u20 is not bound again
  const std::string source = dump_program(program, "codegen");
  CHECK(source.find("const int64_t _local_scalar_dense_1 = aotic::runtime::item_as_int(squeeze_1.get(),") !=
        std::string::npos);
}

TEST_CASE("select_ops: prims.convert_element_type is called as aten._to_copy") {
  codegen::CompileOptions options;
  options.disabled_passes = {"fuse_kernels"};
  const std::string selected =
      dump(testing::repo_path("tests/data/extra/renorm_f16.core.pt2"), "select_ops", options);
  CHECK(selected.find("call convert_element_type = aoti_torch_cpu__to_copy(where, float16, None, None, None, "
                      "false, None)\n") != std::string::npos);
}

TEST_CASE("insert_checks: with --debug-checks, every node's tensors are checked after its statements") {
  codegen::CompileOptions options;
  options.disabled_passes = {"fold_constants"};
  CHECK(dump(testing::fixture("mlp.core.pt2"), "insert_checks", options) ==
        dump(testing::fixture("mlp.core.pt2"), "select_ops", options));
  options.debug_checks = true;
  const std::string checked = dump(testing::fixture("mlp.core.pt2"), "insert_checks", options);
  CHECK(checked.find("alloc addmm : float32[8, 128] strides [128, 1]\n"
                     "call aoti_torch_cpu_addmm_out(addmm, p_l1_bias, x, permute, 1.0, 1.0)\n"
                     "check addmm : float32[8, 128]\n") != std::string::npos);
  CHECK(count(checked, "\ncheck ") == 5);  // permute, addmm, relu, permute_1, addmm_1
  // A size no symbol bound yet is checked only through the rank; u0 is bound once nonzero ran.
  const std::string dynamic =
      dump(testing::repo_path("tests/data/extra/argwhere.core.pt2"), "insert_checks", options);
  CHECK(dynamic.find("size u0 = nonzero.size(0)  # data-dependent\ncheck nonzero : int64[u0, 2]\n") !=
        std::string::npos);
}

}  // namespace
}  // namespace aotic

namespace aotic {
namespace {

TEST_CASE("fuse_kernels: pointwise chains, pooling and reductions become kernels; library ops stay") {
  codegen::CompileOptions unfolded;
  unfolded.disabled_passes = {"fold_batch_norm", "to_channels_last", "pack_conv_weights"};
  const std::string cnn = dump(testing::fixture("small_cnn.pt2"), "fuse_kernels", unfolded);
  // Batch norm, relu and max pooling read the convolution once; silu feeds the global average.
  CHECK(cnn.find("op conv2d = aten.conv2d.default(") != std::string::npos);
  CHECK(cnn.find("alloc max_pool2d : float32[2, 16, 16, 16] strides [4096, 256, 16, 1]\n"
                 "launch k0_batch_norm_relu_max_pool2d(conv2d, ") != std::string::npos);
  CHECK(cnn.find("launch k1_silu_adaptive_avg_pool2d(conv2d_1 -> adaptive_avg_pool2d)\n") !=
        std::string::npos);
  CHECK(cnn.find("launch k2_log_softmax(linear -> log_softmax)\n") != std::string::npos);
  CHECK(cnn.find("op relu") == std::string::npos);
  // The kernels themselves follow the body, one comment naming the nodes they fuse.
  CHECK(cnn.find("kernel k0_batch_norm_relu_max_pool2d(in0: float32, ") != std::string::npos);
  CHECK(cnn.find("  # nodes batch_norm, relu, max_pool2d\n") != std::string::npos);

  // A value read by a library op and by a kernel is stored once and read by both (tiny_gpt's
  // residual adds feed layer_norm and the next add).
  const std::string gpt = dump(testing::fixture("tiny_gpt.pt2"), "fuse_kernels");
  CHECK(gpt.find("launch k1_layer_norm(add, p_blocks_0_ln1_weight, p_blocks_0_ln1_bias -> layer_norm)\n") !=
        std::string::npos);
  CHECK(gpt.find("launch k4_gelu(linear_2 -> gelu)\n") != std::string::npos);
  // Views that a library op reads stay views; scaled_dot_product_attention stays a library call.
  CHECK(gpt.find("op transpose = aten.transpose.int(%view, 1, 2)  # view\n") != std::string::npos);
  CHECK(gpt.find("op scaled_dot_product_attention = ") != std::string::npos);
}

TEST_CASE("plan_memory: static buffers share one arena by lifetime; outputs keep their own") {
  // tiny_gpt: 11 buffers in 320 KiB instead of 1,088 KiB. A block's residual (add_1) lives across
  // the block, so it never overlaps the buffers made meanwhile; a layer norm's output is dead once
  // the library's linear has read it, so the gelu after it starts at the same offset. Buffers that
  // reuse_buffers had chained (add -> add_2) are placed one by one.
  const std::string gpt = dump(testing::fixture("tiny_gpt.pt2"), "plan_memory");
  CHECK(gpt.find("arena 327680 bytes for 11 buffers (1114112 bytes allocated one by one)\n") !=
        std::string::npos);
  CHECK(gpt.find("alloc add : float32[2, 64, 128] strides [8192, 128, 1] at arena+0\n") != std::string::npos);
  CHECK(gpt.find("alloc add_1 : float32[2, 64, 128] strides [8192, 128, 1] at arena+262144\n") !=
        std::string::npos);
  CHECK(gpt.find("alloc layer_norm_1 : float32[2, 64, 128] strides [8192, 128, 1] at arena+0\n") !=
        std::string::npos);
  CHECK(gpt.find("alloc gelu : float32[2, 64, 512] strides [32768, 512, 1] at arena+0\n") !=
        std::string::npos);
  CHECK(gpt.find(": reuse ") == std::string::npos);
  // An output's buffer is never in the arena (small_cnn.core: _log_softmax is returned).
  codegen::CompileOptions nchw;
  nchw.disabled_passes = {"to_channels_last"};
  const std::string cnn = dump(testing::fixture("small_cnn.core.pt2"), "plan_memory", nchw);
  CHECK(cnn.find("arena 32768 bytes for 3 buffers") != std::string::npos);
  CHECK(cnn.find("alloc _log_softmax : float32[2, 10] strides [10, 1]\n") != std::string::npos);
  // Fewer than three buffers: no arena (small_cnn as exported has two).
  CHECK(dump(testing::fixture("small_cnn.pt2"), "plan_memory", nchw).find(" at arena+") == std::string::npos);
  // Symbolic sizes keep their own allocation (mlp_dyn: batch s77).
  CHECK(dump(testing::fixture("mlp_dyn.pt2"), "plan_memory").find(" at arena+") == std::string::npos);
  // The printed model: one arena, buffers carved from it.
  const std::string cpp = dump(testing::fixture("tiny_gpt.pt2"), "codegen");
  CHECK(cpp.find(
            "// 11 buffers carved from one arena of 327680 bytes (1114112 bytes allocated one by one)\n") !=
        std::string::npos);
  CHECK(cpp.find(
            "aoti_torch__alloc_from_pool(arena.get(), 0, kFloat32, 3, add_sizes, add_strides, add.out())") !=
        std::string::npos);
  codegen::CompileOptions off;
  off.disabled_passes.insert("plan_memory");
  CHECK(dump(testing::fixture("tiny_gpt.pt2"), "codegen", off).find("alloc_from_pool") == std::string::npos);
}

TEST_CASE("dedup_kernels: kernels that print alike become one function that every launch calls") {
  // tiny_gpt: two blocks of residual adds, layer norms and gelus; 11 kernels, 5 distinct.
  const std::string fused = dump(testing::fixture("tiny_gpt.pt2"), "fuse_kernels");
  const std::string deduped = dump(testing::fixture("tiny_gpt.pt2"), "dedup_kernels");
  CHECK(count(fused, "\nkernel k") == 11);
  CHECK(count(deduped, "\nkernel k") == 5);
  CHECK(deduped.find(
            "kernel k1_layer_norm(in0: float32, in1: float32, in2: float32, out0: float32 (written))  # "
            "nodes layer_norm, layer_norm_1, layer_norm_2, layer_norm_3\n") != std::string::npos);
  // Every launch of a removed kernel calls the kept one.
  CHECK(deduped.find(
            "launch k1_layer_norm(add_2, p_blocks_1_ln1_weight, p_blocks_1_ln1_bias -> layer_norm_2)\n") !=
        std::string::npos);
  CHECK(deduped.find("launch k2_add(add_2, linear_5 -> add_3)\n") != std::string::npos);
  CHECK(deduped.find("launch k3_gelu(linear_6 -> gelu_1)\n") != std::string::npos);
  CHECK(deduped.find("launch k4_add_layer_norm(add_3, linear_7, p_ln_weight, p_ln_bias -> layer_norm_4)\n") !=
        std::string::npos);  // kept kernels are numbered again
  CHECK(deduped.find("k6_layer_norm") == std::string::npos);
  // Kernels that differ in any size, type or expression stay apart (small_cnn: none alike).
  const std::string cnn_fused = dump(testing::fixture("small_cnn.pt2"), "fuse_kernels");
  const std::string cnn = dump(testing::fixture("small_cnn.pt2"), "dedup_kernels");
  CHECK(count(cnn, "\nkernel k") == count(cnn_fused, "\nkernel k"));
  // The same outputs either way (the e2e tests compile and run both).
  codegen::CompileOptions options;
  options.disabled_passes.insert("dedup_kernels");
  CHECK(count(dump(testing::fixture("tiny_gpt.pt2"), "dedup_kernels", options), "\nkernel k") == 11);
}

TEST_CASE(
    "fuse_kernels: in-place and creation ops stay library calls; --disable-pass leaves the graph as is") {
  // common_ops copies a product into zeros_like in place (copy_): the product is a kernel's
  // result, zeros_like and copy_ stay calls (functionalize, off here, would make copy_ a copy).
  codegen::CompileOptions inplace;
  inplace.disabled_passes = {"functionalize"};
  const std::string fused =
      dump(testing::repo_path("tests/data/extra/common_ops.pt2"), "fuse_kernels", inplace);
  CHECK(fused.find("launch k2_mul(x -> mul)\nop copy_ = aten.copy_.default(%zeros_like, %mul)\n") !=
        std::string::npos);
  CHECK(fused.find("op zeros_like = aten.zeros_like.default(%x, False)\n") != std::string::npos);
  const std::string unfused =
      dump_unfused(testing::repo_path("tests/data/extra/common_ops.pt2"), "fuse_kernels");
  CHECK(unfused.find("launch ") == std::string::npos);
  CHECK(unfused == dump(testing::repo_path("tests/data/extra/common_ops.pt2"), "check_types"));
}

}  // namespace
}  // namespace aotic

namespace aotic {
namespace {

TEST_CASE("fold_constants: ops on constants alone move to fold(); run() reads their results as constants") {
  const std::string folded = dump(testing::fixture("tiny_gpt.core.pt2"), "fold_constants");
  // Weight transposes, a weight reshaped for bmm (a copy per run before), the causal mask and the
  // position embedding of arange (a small factory) are computed once.
  CHECK(folded.find("folded permute : float32[128, 384]\n") != std::string::npos);
  CHECK(folded.find("folded view_13 : float32[2, 128, 128]\n") != std::string::npos);
  CHECK(folded.find("folded where : float32[64, 64]\n") != std::string::npos);
  CHECK(folded.find("folded embedding_1 : float32[64, 128]\n") != std::string::npos);
  CHECK(folded.find("fold {\n") != std::string::npos);
  CHECK(folded.find("  op permute = aten.permute.default(%p_blocks_0_qkv_weight, [1, 0])") !=
        std::string::npos);
  // What reads the user's input stays in run(); the intermediate expand_5 is fold()'s alone.
  CHECK(folded.find("\nop addmm = aten.addmm.default(%p_blocks_0_qkv_bias, %view, %permute)\n") !=
        std::string::npos);
  CHECK(folded.find("folded expand_5") == std::string::npos);
  CHECK(folded.find("\nreturn view_39\n") != std::string::npos);

  const std::string source = dump(testing::fixture("tiny_gpt.core.pt2"), "codegen");
  CHECK(source.find("void fold(aotic::runtime::RunState& state, AtenTensorHandle* outputs) {\n") !=
        std::string::npos);
  CHECK(source.find("{\"_FOLDED_CONST_permute\", \"_FOLDED_CONST_permute\", ") != std::string::npos);
  CHECK(source.find("aotic::runtime::ConstantKind::kFoldedConstant}") != std::string::npos);
  CHECK(source.find("  fold,\n};") != std::string::npos);

  codegen::CompileOptions off;
  off.disabled_passes = {"fold_constants"};
  const std::string unfolded = dump(testing::fixture("tiny_gpt.core.pt2"), "codegen", off);
  CHECK(unfolded.find("void fold(") == std::string::npos);
  CHECK(unfolded.find("kFoldedConstant") == std::string::npos);
  CHECK(unfolded.find("  nullptr,\n};") != std::string::npos);
}

TEST_CASE("fold_batch_norm: an inference batch norm after a convolution becomes its weight and bias") {
  for (const char* fixture : {"small_cnn.core.pt2", "small_cnn.pt2"}) {
    CAPTURE(fixture);
    codegen::CompileOptions nchw;
    nchw.disabled_passes = {"to_channels_last", "pack_conv_weights"};
    const std::string folded = dump(testing::fixture(fixture), "fold_constants", nchw);
    const bool core = std::string(fixture) == "small_cnn.core.pt2";
    const std::string conv = core ? "convolution" : "conv2d";
    // The new ops read constants only, so all of them are in fold().
    CHECK(folded.find("  op " + conv + "_var_eps = aten.add.Scalar(%b_b1_running_var, 1e-05)\n") !=
          std::string::npos);
    CHECK(folded.find("  op " + conv + "_weight = aten.mul.Tensor(%p_c1_weight, %" + conv + "_scale_nd)\n") !=
          std::string::npos);
    CHECK(folded.find("folded " + conv + "_weight : float32[16, 3, 3, 3]\n") != std::string::npos);
    CHECK(folded.find("folded " + conv + "_bias : float32[16]\n") != std::string::npos);
    // run() has one convolution giving the batch norm's result, and no batch norm.
    const std::string result = core ? "getitem" : "batch_norm";
    CHECK(folded.find("\nop " + result + " = aten." + conv + ".default(%x, %" + conv + "_weight, %" + conv +
                      "_bias, ") != std::string::npos);
    CHECK(folded.find("batch_norm.default") == std::string::npos);
    CHECK(folded.find("_native_batch_norm_legit_no_training") == std::string::npos);
  }
  // Off: the batch norm stays (fused with relu and pooling by fuse_kernels).
  codegen::CompileOptions off;
  off.disabled_passes = {"fold_batch_norm"};
  CHECK(dump(testing::fixture("small_cnn.core.pt2"), "fold_constants", off)
            .find("aten._native_batch_norm_legit_no_training.default(%convolution, ") != std::string::npos);
}

}  // namespace
}  // namespace aotic

namespace aotic {
namespace {

TEST_CASE("pack_conv_weights: on the CPU convolutions call oneDNN with the weight reordered in fold()") {
  // small_cnn: convolution, batch norm (folded into it), relu; a second convolution feeding silu.
  codegen::CompileOptions nchw;
  nchw.disabled_passes = {"to_channels_last"};
  const std::string packed = dump(testing::fixture("small_cnn.pt2"), "fold_constants", nchw);
  CHECK(packed.find("folded batch_norm_weight_packed : float32[16, 3, 3, 3]\n") != std::string::npos);
  CHECK(packed.find("  op batch_norm_weight_mkldnn = aten.to_mkldnn.default(%conv2d_weight, None)\n"
                    "  op batch_norm_weight_packed = aten.mkldnn_reorder_conv2d_weight.default("
                    "%batch_norm_weight_mkldnn, [1, 1], [1, 1], [1, 1], 1, [2, 3, 32, 32])\n") !=
        std::string::npos);
  // The relu is the convolution's post-op, the second convolution's silu too.
  CHECK(packed.find("\nop relu = mkldnn._convolution_pointwise.default(%x, %batch_norm_weight_packed, "
                    "%conv2d_bias, [1, 1], [1, 1], [1, 1], 1, 'relu', [], None)\n") != std::string::npos);
  CHECK(packed.find("\nop silu = mkldnn._convolution_pointwise.default(%max_pool2d, %conv2d_1_weight_packed, "
                    "%p_c2_bias, [1, 1], [2, 2], [1, 1], 1, 'swish', [], None)\n") != std::string::npos);
  CHECK(packed.find("aten.relu.default") == std::string::npos);
  CHECK(packed.find("aten.conv2d.default") == std::string::npos);
  // res_cnn (a small ResNet exported with relu_ and `+=`, made functional first): each block's
  // second convolution, residual add and relu are one call, its result written into the residual
  // (read by nothing afterwards); the depthwise convolution is packed; the 1x1 convolutions (the
  // strided shortcut, the head) stay libtorch's.
  const std::string res = dump(testing::repo_path("tests/data/extra/res_cnn.pt2"), "fold_constants");
  CHECK(
      res.find("\nop relu__2 = mkldnn._convolution_pointwise_.binary(%relu_, %relu__1, "
               "%batch_norm_2_weight_packed, %conv2d_2_bias, [1, 1], [1, 1], [1, 1], 1, 'add', None, 'relu', "
               "[], None)\n") != std::string::npos);
  CHECK(res.find("\nop batch_norm_3 = aten.conv2d.default(%relu__2, %conv2d_3_weight, %conv2d_3_bias, [2, "
                 "2])\n") != std::string::npos);
  CHECK(res.find("\nop relu = mkldnn._convolution_pointwise.default(%relu__4, %conv2d_6_weight_packed, "
                 "%p_dw_0_bias, [1, 1], [1, 1], [1, 1], 32, 'relu', [], None)\n") != std::string::npos);
  // (its bias added after it: split_conv_bias)
  CHECK(res.find("\nop conv2d_7_unbiased = aten.conv2d.default(%relu, %p_head_weight, None)\n") !=
        std::string::npos);
  CHECK(res.find("aten.add_.Tensor") == std::string::npos);
  CHECK(res.find("aten.relu_.default") == std::string::npos);
  const std::string source = dump(testing::fixture("small_cnn.pt2"), "codegen");
  CHECK(source.find("aoti_torch_cpu_mkldnn__convolution_pointwise(") != std::string::npos);
  CHECK(source.find("aoti_torch_cpu_mkldnn_reorder_conv2d_weight(") != std::string::npos);
  // Dynamic input sizes: no input_size hint.
  const std::string dynamic = dump(testing::repo_path("tests/data/extra/cnn_dim.pt2"), "fold_constants");
  CHECK(dynamic.find(", [1, 1], [2, 2], [1, 1], 1, None)\n") != std::string::npos);
  // Not on CUDA, not when switched off, not with PyTorch's C shim (which lacks the weight functions).
  codegen::CompileOptions cuda;
  cuda.device = "cuda";
  CHECK(dump(testing::fixture("small_cnn.pt2"), "fold_constants", cuda).find("mkldnn") == std::string::npos);
  codegen::CompileOptions off;
  off.disabled_passes = {"pack_conv_weights"};
  CHECK(dump(testing::fixture("small_cnn.pt2"), "fold_constants", off).find("mkldnn") == std::string::npos);
  codegen::CompileOptions host;
  host.shim = codegen::ShimMode::kHost;
  CHECK(dump(testing::fixture("small_cnn.core.pt2"), "fold_constants", host).find("mkldnn") ==
        std::string::npos);
  // A weight that is a user input is not packed: the convolution stays.
  ir::Program input_weight = ir::load_program(testing::fixture("small_cnn.pt2"));
  for (ir::InputSpec& spec : input_weight.signature.inputs) {
    if (spec.arg.name == "p_c2_weight") spec.kind = ir::InputKind::kUserInput;
  }
  const std::string unpacked = dump_program(input_weight, "pack_conv_weights");
  CHECK(unpacked.find("conv2d_1 = aten.conv2d.default(") != std::string::npos);
  CHECK(unpacked.find("conv2d_1_weight_packed") == std::string::npos);
}

TEST_CASE("pack_conv_weights: a residual add is fused even when its other operand comes later") {
  // torchvision's order: the strided 1x1 shortcut is computed after the block's second
  // convolution, just before the add. Either way the add is fused into the 3x3 convolution, at
  // the add's place.
  ir::Program torchvision_order = ir::load_program(testing::repo_path("tests/data/extra/res_cnn.pt2"));
  std::vector<ir::Node>& nodes = torchvision_order.graph.nodes;
  const auto at = [&](const std::string& name) {
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].name == name) return static_cast<std::ptrdiff_t>(i);
    }
    FAIL("no node " << name);
    return std::ptrdiff_t{0};
  };
  std::vector<ir::Node> shortcut(nodes.begin() + at("conv2d_3"), nodes.begin() + at("batch_norm_3") + 1);
  nodes.erase(nodes.begin() + at("conv2d_3"), nodes.begin() + at("batch_norm_3") + 1);
  nodes.insert(nodes.begin() + at("add__1"), shortcut.begin(), shortcut.end());
  REQUIRE(at("conv2d_5") < at("conv2d_3"));
  for (const std::string& text : {dump(testing::repo_path("tests/data/extra/res_cnn.pt2"), "fold_constants"),
                                  dump_program(torchvision_order, "fold_constants")}) {
    INFO(text);
    CHECK(text.find("\nop relu__4 = mkldnn._convolution_pointwise_.binary(%batch_norm_3, %relu__3, "
                    "%batch_norm_5_weight_packed, %conv2d_5_bias, [1, 1], [1, 1], [1, 1], 1, 'add', None, "
                    "'relu', [], None)\n") != std::string::npos);
    CHECK(text.find("\nop batch_norm_3 = aten.conv2d.default(") != std::string::npos);
    CHECK(text.find("\nop batch_norm_3 = ") < text.find("\nop relu__4 = "));
  }
}

TEST_CASE("split_conv_bias: a 1x1 convolution left to libtorch has its bias added in the next kernel") {
  const std::string res_cnn = testing::repo_path("tests/data/extra/res_cnn.core.pt2");
  const std::string text = dump(res_cnn, "split_conv_bias");
  INFO(text);
  // The head (1x1, stride 1): called without its bias, which is added after it under its name.
  CHECK(text.find(
            "\nop convolution_7_unbiased = aten.convolution.default(%relu_5, %p_head_weight, None, [1, 1], "
            "[0, 0], [1, 1], False, [0, 0], 1)\nop p_head_bias_channels = aten.view.default(%p_head_bias, "
            "[24, 1, 1])\nop convolution_7 = aten.add.Tensor(%convolution_7_unbiased, "
            "%p_head_bias_channels)\nop relu_6 = aten.relu.default(%convolution_7)\n") != std::string::npos);
  // The strided 1x1 shortcut keeps its bias (libtorch calls oneDNN for it, which adds it), and the
  // packed convolutions are pack_conv_weights'.
  CHECK(text.find(
            "\nop getitem_9 = aten.convolution.default(%relu_2, %convolution_3_weight, %convolution_3_bias, "
            "[2, 2], ") != std::string::npos);
  CHECK(count(text, "_unbiased = ") == 1);
  // The add is a generated kernel, reading the bias as a [24, 1, 1] view.
  CHECK(dump(res_cnn, "fuse_kernels")
            .find("launch k1_add(convolution_7_unbiased, p_head_bias_channels -> "
                  "convolution_7)") != std::string::npos);
  // Read by something no kernel computes, the convolution keeps its bias: the add would be a pass
  // of its own. The head's result is a graph output; to_channels_last reads it through a
  // contiguous clone (a kernel), and without that pass the output reads it directly.
  codegen::CompileOptions nchw;
  nchw.disabled_passes.insert("to_channels_last");
  CHECK(dump(res_cnn, "split_conv_bias", nchw).find("_unbiased") == std::string::npos);
  // Without generated kernels, and on the GPU, nothing is split.
  codegen::CompileOptions unfused;
  unfused.disabled_passes.insert("fuse_kernels");
  CHECK(dump(res_cnn, "split_conv_bias", unfused).find("_unbiased") == std::string::npos);
  codegen::CompileOptions cuda;
  cuda.device = "cuda";
  CHECK(dump(res_cnn, "split_conv_bias", cuda).find("_unbiased") == std::string::npos);
}

TEST_CASE("kernel_parts: large kernel files split into parts of about equal size, in order") {
  CHECK(codegen::kernel_parts({"aa", "bb"}, 10, 8) == std::vector<std::string>{"aabb"});
  CHECK(codegen::kernel_parts({}, 10, 8) == std::vector<std::string>{""});
  const std::vector<std::string> ten(10, std::string(10, 'k'));
  // 100 bytes, parts of 30: four parts, none empty, the kernels' order kept.
  const std::vector<std::string> parts = codegen::kernel_parts(ten, 30, 8);
  REQUIRE(parts.size() == 4);
  std::string joined;
  for (const std::string& p : parts) {
    CHECK(!p.empty());
    CHECK(p.size() <= 30);
    joined += p;
  }
  CHECK(joined == std::string(100, 'k'));
  CHECK(codegen::kernel_parts(ten, 1, 3).size() == 3);  // at most max_parts
}

TEST_CASE("pack_linear_weights: on the CPU linears read their weight transposed once, in fold()") {
  // mlp: linear, relu, linear, on a batch of 8.
  const std::string packed = dump_packed(testing::fixture("mlp.pt2"), "fold_constants");
  CHECK(packed.find("folded p_l1_weight_kn : float32[64, 128]\n") != std::string::npos);
  CHECK(packed.find("  op p_l1_weight_t = aten.permute.default(%p_l1_weight, [1, 0])  # view\n"
                    "  op p_l1_weight_kn = aten.clone.default(%p_l1_weight_t, contiguous_format)\n") !=
        std::string::npos);
  // With generated kernels the bias is an add after mm, which joins the relu's kernel.
  CHECK(packed.find("\nop linear_mm = aten.mm.default(%x, %p_l1_weight_kn)\n") != std::string::npos);
  CHECK(packed.find("aten.linear.default") == std::string::npos);
  CHECK(packed.find("aten.addmm") == std::string::npos);
  const std::string kernels = dump_packed(testing::fixture("mlp.pt2"), "fuse_kernels");
  CHECK(kernels.find("kernel k0_add_relu(in0: float32, in1: float32, out0: float32 (written))  # nodes "
                     "linear (add), relu") != std::string::npos);
  // Without them (--no-fuse), addmm takes the bias.
  codegen::CompileOptions unfused;
  unfused.disabled_passes = {"fuse_kernels"};
  CHECK(dump_packed(testing::fixture("mlp.pt2"), "fold_constants", unfused)
            .find("\nop linear = aten.addmm.default(%p_l1_bias, %x, %p_l1_weight_kn)\n") !=
        std::string::npos);
  // A core-ATen export: addmm of the transposed weight reads the contiguous copy; the view goes.
  const std::string core = dump_packed(testing::fixture("mlp.core.pt2"), "fold_constants");
  CHECK(core.find("\nop addmm_1_mm = aten.mm.default(%relu, %p_l2_weight_kn)\n") != std::string::npos);
  CHECK(core.find("%permute") == std::string::npos);
  // tiny_gpt: 3-d inputs as [128, K] (2 * 64 rows), the result viewed back, then the bias added.
  const std::string gpt = dump_packed(testing::fixture("tiny_gpt.pt2"), "pack_linear_weights");
  CHECK(gpt.find("op linear_input_2d = aten.reshape.default(%layer_norm, [128, 128])\n"
                 "op linear_mm = aten.mm.default(%linear_input_2d, %p_blocks_0_qkv_weight_kn)\n"
                 "op linear_mm_nd = aten.view.default(%linear_mm, [2, 64, 384])\n"
                 "op linear = aten.add.Tensor(%linear_mm_nd, %p_blocks_0_qkv_bias)\n") != std::string::npos);
  CHECK(dump_packed(testing::fixture("tiny_gpt.pt2"), "pack_linear_weights", unfused)
            .find("op linear_2d = aten.addmm.default(%p_blocks_0_qkv_bias, %linear_input_2d, "
                  "%p_blocks_0_qkv_weight_kn)\n"
                  "op linear = aten.view.default(%linear_2d, [2, 64, 384])\n") != std::string::npos);
  CHECK(gpt.find("aten.linear.default") == std::string::npos);
  // A weight two linears read is transposed once.
  CHECK(count(dump_packed(testing::fixture("tiny_gpt.pt2"), "pack_linear_weights"),
              "= aten.clone.default(") == 9);
  // 2-d inputs with a dynamic batch (mlp_dyn); 3-d ones need static rows (gpt_dyn keeps its linears).
  CHECK(dump_packed(testing::fixture("mlp_dyn.pt2"), "pack_linear_weights").find("_weight_kn") !=
        std::string::npos);
  CHECK(dump_packed(testing::repo_path("tests/data/extra/gpt_dyn.pt2"), "pack_linear_weights")
            .find("_weight_kn") == std::string::npos);
  // PyTorch's C shim has every op it emits.
  codegen::CompileOptions host;
  host.shim = codegen::ShimMode::kHost;
  CHECK(dump_packed(testing::fixture("mlp.core.pt2"), "fold_constants", host).find("_weight_kn") !=
        std::string::npos);
  // Not on CUDA, not when switched off.
  codegen::CompileOptions cuda;
  cuda.device = "cuda";
  CHECK(dump_packed(testing::fixture("mlp.pt2"), "fold_constants", cuda).find("_weight_kn") ==
        std::string::npos);
  codegen::CompileOptions off;
  off.disabled_passes = {"pack_linear_weights"};
  CHECK(dump_packed(testing::fixture("mlp.pt2"), "fold_constants", off).find("_weight_kn") ==
        std::string::npos);
  // A weight that is a user input is not transposed ahead.
  ir::Program input_weight = ir::load_program(testing::fixture("mlp.pt2"));
  for (ir::InputSpec& spec : input_weight.signature.inputs) {
    if (spec.arg.name == "p_l2_weight") spec.kind = ir::InputKind::kUserInput;
  }
  const std::string unpacked = codegen::dump_after(input_weight, "pack_linear_weights", {});
  CHECK(unpacked.find("linear_1 = aten.linear.default(") != std::string::npos);
  CHECK(unpacked.find("\nop linear_mm = aten.mm.default(") != std::string::npos);
}

TEST_CASE("fuse_conv_relu: on CUDA a convolution and the relu after it are one cuDNN call") {
  codegen::CompileOptions cuda;
  cuda.device = "cuda";
  cuda.disabled_passes = {"to_channels_last"};  // its own test
  // small_cnn: convolution, batch norm (folded into it), relu.
  const std::string fused = dump(testing::fixture("small_cnn.core.pt2"), "fold_constants", cuda);
  CHECK(fused.find("\nop relu = aten.cudnn_convolution_relu.default(%x, %convolution_weight, "
                   "%convolution_bias, [1, 1], [1, 1], [1, 1], 1)\n") != std::string::npos);
  CHECK(fused.find("aten.relu.default") == std::string::npos);
  // The second convolution feeds silu: unchanged.
  CHECK(fused.find("op convolution_1 = aten.convolution.default(") != std::string::npos);
  const std::string source = dump(testing::fixture("small_cnn.core.pt2"), "codegen", cuda);
  CHECK(source.find("aoti_torch_cuda_cudnn_convolution_relu(") != std::string::npos);
  // Not on the CPU, not when switched off, not with PyTorch's C shim (which lacks the functions).
  CHECK(dump(testing::fixture("small_cnn.core.pt2"), "fold_constants").find("cudnn") == std::string::npos);
  codegen::CompileOptions off = cuda;
  off.disabled_passes = {"fuse_conv_relu"};
  CHECK(dump(testing::fixture("small_cnn.core.pt2"), "fold_constants", off).find("cudnn") ==
        std::string::npos);
  codegen::CompileOptions host = cuda;
  host.shim = codegen::ShimMode::kHost;
  CHECK(dump(testing::fixture("small_cnn.core.pt2"), "fold_constants", host).find("cudnn") ==
        std::string::npos);
}

}  // namespace
}  // namespace aotic

namespace aotic {
namespace {

ir::Node aten_call(const std::string& op, const std::string& result, std::vector<ir::NamedArgument> inputs) {
  ir::Node node;
  node.name = result;
  node.target = "torch.ops.aten." + op;
  node.inputs = std::move(inputs);
  ir::Argument out;
  out.kind = ir::ArgKind::kTensor;
  out.name = result;
  node.outputs.push_back(out);
  return node;
}

ir::Argument tensor_named(const std::string& name) {
  ir::Argument a;
  a.kind = ir::ArgKind::kTensor;
  a.name = name;
  return a;
}

TEST_CASE("fold_constants: values the model returns or writes to stay in run()") {
  // mlp.core returning permute_1 (the transposed second weight) instead of addmm_1.
  ir::Program returns = ir::load_program(testing::fixture("mlp.core.pt2"));
  returns.graph.outputs[0].name = "permute_1";
  returns.signature.outputs[0].arg.name = "permute_1";
  const std::string returned = dump_program(returns, "fold_constants");
  CHECK(returned.find("folded permute : float32[64, 128]\n") != std::string::npos);
  CHECK(returned.find("folded permute_1") == std::string::npos);
  CHECK(returned.find("\nop permute_1 = aten.permute.default(%p_l2_weight, [1, 0])") != std::string::npos);

  // ... or returning a view (t) of a value computed from a weight: that value stays in run() too,
  // or every run would hand out the same storage.
  ir::Program views = ir::load_program(testing::fixture("mlp.core.pt2"));
  views.graph.tensor_values["doubled"] = views.graph.tensor_values.at("p_l2_weight");
  views.graph.tensor_values["doubled_t"] = views.graph.tensor_values.at("permute_1");
  ir::Argument two_scalar;
  two_scalar.kind = ir::ArgKind::kFloat;
  two_scalar.float_value = 2.0;
  views.graph.nodes.push_back(aten_call("mul.Scalar", "doubled",
                                        {{"self", tensor_named("p_l2_weight"), ir::ArgPassing::kKeyword},
                                         {"other", two_scalar, ir::ArgPassing::kKeyword}}));
  views.graph.nodes.push_back(
      aten_call("t.default", "doubled_t", {{"self", tensor_named("doubled"), ir::ArgPassing::kKeyword}}));
  views.graph.outputs[0].name = "doubled_t";
  views.signature.outputs[0].arg.name = "doubled_t";
  const std::string viewed = dump_program(views, "fold_constants");
  CHECK(viewed.find("folded doubled") == std::string::npos);
  CHECK(viewed.find("\nop doubled = aten.mul.Scalar(%p_l2_weight, 2)\n") != std::string::npos);

  // mlp.core with its first bias cloned and then updated in place before addmm reads it.
  ir::Program writes = ir::load_program(testing::fixture("mlp.core.pt2"));
  ir::Graph& g = writes.graph;
  g.tensor_values["bias_copy"] = g.tensor_values.at("p_l1_bias");
  g.tensor_values["bias_plus"] = g.tensor_values.at("p_l1_bias");
  ir::Argument two;
  two.kind = ir::ArgKind::kFloat;
  two.float_value = 2.0;
  std::vector<ir::Node> nodes = {aten_call("clone.default", "bias_copy",
                                           {{"self", tensor_named("p_l1_bias"), ir::ArgPassing::kKeyword}}),
                                 aten_call("add_.Scalar", "bias_plus",
                                           {{"self", tensor_named("bias_copy"), ir::ArgPassing::kKeyword},
                                            {"other", two, ir::ArgPassing::kKeyword}})};
  for (ir::Node& node : g.nodes) {
    for (ir::NamedArgument& in : node.inputs) {
      if (in.arg.kind == ir::ArgKind::kTensor && in.arg.name == "p_l1_bias") in.arg.name = "bias_plus";
    }
    nodes.push_back(std::move(node));
  }
  g.nodes = std::move(nodes);
  codegen::CompileOptions inplace;
  inplace.disabled_passes = {"functionalize"};  // which would make the add_ an add
  const std::string written = dump_program(writes, "fold_constants", inplace);
  CHECK(written.find("folded permute : float32[64, 128]\n") != std::string::npos);
  CHECK(written.find("folded bias_copy") == std::string::npos);
  CHECK(written.find("\nop bias_copy = aten.clone.default(%p_l1_bias)\n") != std::string::npos);
  CHECK(written.find("\nop bias_plus = aten.add_.Scalar(%bias_copy, 2)\n") != std::string::npos);
  // And it still compiles: the clone is run()'s own buffer to update.
  const std::string source = dump_program(writes, "codegen");
  CHECK(source.find("  // node 'bias_copy' (aten.clone.default)\n") != std::string::npos);
}

TEST_CASE("functionalize: in-place ops on values nothing reads afterwards become functional") {
  codegen::CompileOptions alone;
  alone.disabled_passes = {"fold_batch_norm", "to_channels_last", "pack_conv_weights"};
  // res_cnn exports nn.ReLU(inplace=True) as relu_ and `out += identity` as add_.
  const std::string res = dump(testing::repo_path("tests/data/extra/res_cnn.pt2"), "functionalize", alone);
  CHECK(res.find("\nop relu_ = aten.relu.default(%batch_norm)\n") != std::string::npos);
  CHECK(res.find("\nop add_ = aten.add.Tensor(%batch_norm_2, %relu_)\n") != std::string::npos);
  CHECK(res.find("\nop relu__2 = aten.relu.default(%add_)\n") != std::string::npos);
  CHECK(res.find("aten.relu_.default") == std::string::npos);
  codegen::CompileOptions off = alone;
  off.disabled_passes.insert("functionalize");
  CHECK(dump(testing::repo_path("tests/data/extra/res_cnn.pt2"), "functionalize", off)
            .find("\nop add_ = aten.add_.Tensor(%batch_norm_2, %relu_)\n") != std::string::npos);

  // Kept in place: the updated value read again afterwards (under its own name), and an update
  // of a view (the base would see it).
  ir::Program later = ir::load_program(testing::repo_path("tests/data/extra/res_cnn.pt2"));
  ir::Graph& g = later.graph;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].name != "relu__2") continue;
    // A node after relu__2 reading add_ (the value relu_ updated) directly.
    ir::Node reader =
        aten_call("neg.default", "neg_add", {{"self", tensor_named("add_"), ir::ArgPassing::kKeyword}});
    g.tensor_values["neg_add"] = g.tensor_values.at("add_");
    g.nodes.insert(g.nodes.begin() + static_cast<std::ptrdiff_t>(i) + 1, reader);
    break;
  }
  g.outputs.push_back(tensor_named("neg_add"));
  ir::OutputSpec extra = later.signature.outputs.back();
  extra.arg.name = "neg_add";
  later.signature.outputs.push_back(extra);
  const std::string kept = codegen::dump_after(later, "functionalize", alone);
  CHECK(kept.find("\nop relu__2 = aten.relu_.default(%add_)\n") != std::string::npos);
  CHECK(kept.find("\nop add_ = aten.add.Tensor(%batch_norm_2, %relu_)\n") != std::string::npos);
}

TEST_CASE("pack_conv_weights and to_channels_last around an in-place update that stays") {
  // res_cnn with relu__3 (the input of the second block's 3x3 convolution) doubled in place
  // between that convolution and its residual add, and read afterwards (so the update stays in
  // place): fused at the add, the convolution would read the doubled input.
  ir::Program program = ir::load_program(testing::repo_path("tests/data/extra/res_cnn.pt2"));
  ir::Graph& g = program.graph;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].name != "add__1") continue;
    ir::Node twice = aten_call("add_.Tensor", "relu__3_twice",
                               {{"self", tensor_named("relu__3"), ir::ArgPassing::kKeyword},
                                {"other", tensor_named("relu__3"), ir::ArgPassing::kKeyword}});
    g.tensor_values["relu__3_twice"] = g.tensor_values.at("relu__3");
    g.nodes.insert(g.nodes.begin() + static_cast<std::ptrdiff_t>(i), twice);
    break;
  }
  g.nodes.push_back(
      aten_call("neg.default", "neg_relu__3", {{"self", tensor_named("relu__3"), ir::ArgPassing::kKeyword}}));
  g.tensor_values["neg_relu__3"] = g.tensor_values.at("relu__3");
  g.outputs.push_back(tensor_named("neg_relu__3"));
  ir::OutputSpec extra = program.signature.outputs.back();
  extra.arg.name = "neg_relu__3";
  program.signature.outputs.push_back(extra);
  const std::string text = dump_program(program, "fold_constants");
  INFO(text);
  REQUIRE(text.find("aten.add_.Tensor(%relu__3, %relu__3)") != std::string::npos);
  // to_channels_last leaves a model that writes tensors as it is: an NHWC value's in-place update
  // would go to the contiguous copy it gives unknown readers.
  CHECK(text.find("channels_last") == std::string::npos);
  CHECK(text.find("mkldnn._convolution_pointwise.binary(%relu__3,") == std::string::npos);
  CHECK(text.find("\nop batch_norm_5 = mkldnn._convolution_pointwise.default(%relu__3, ") !=
        std::string::npos);
  CHECK(text.find("\nop batch_norm_5 = ") < text.find("aten.add_.Tensor(%relu__3, %relu__3)"));
  // The first block, with nothing in between, is still one call.
  CHECK(text.find("\nop relu__2 = mkldnn._convolution_pointwise_.binary(%relu_, %relu__1, ") !=
        std::string::npos);
}

TEST_CASE("pack_conv_weights: the residual takes the result in place only when nothing reads it later") {
  const std::string res_cnn = testing::repo_path("tests/data/extra/res_cnn.pt2");
  // The C call: PyTorch's name and argument order (other first), a second handle returned.
  const std::string source = dump(res_cnn, "codegen");
  CHECK(source.find("check(aoti_torch_cpu_mkldnn__convolution_pointwise_binary_(\n            relu_.get(), "
                    "relu__1.get(), ") != std::string::npos);
  // relu_ (the first block's input and residual) also read after the block, or returned: the call
  // leaves it as it is.
  for (const bool returned : {false, true}) {
    CAPTURE(returned);
    ir::Program program = ir::load_program(res_cnn);
    ir::Graph& g = program.graph;
    std::string read = "relu_";
    if (!returned) {
      g.nodes.push_back(
          aten_call("neg.default", "neg_relu_", {{"self", tensor_named("relu_"), ir::ArgPassing::kKeyword}}));
      g.tensor_values["neg_relu_"] = g.tensor_values.at("relu_");
      read = "neg_relu_";
    }
    g.outputs.push_back(tensor_named(read));
    ir::OutputSpec extra = program.signature.outputs.back();
    extra.arg.name = read;
    program.signature.outputs.push_back(extra);
    const std::string text = dump_program(program, "fold_constants");
    INFO(text);
    CHECK(text.find("\nop relu__2 = mkldnn._convolution_pointwise.binary(%relu__1, %relu_, ") !=
          std::string::npos);
    // The second block's residual is still free to take it.
    CHECK(text.find("\nop relu__4 = mkldnn._convolution_pointwise_.binary(%batch_norm_3, %relu__3, ") !=
          std::string::npos);
  }
  // The residual shares storage with another value (here an alias of it is returned): out of place.
  {
    ir::Program program = ir::load_program(res_cnn);
    ir::Graph& g = program.graph;
    g.nodes.push_back(aten_call("alias.default", "relu__view",
                                {{"self", tensor_named("relu_"), ir::ArgPassing::kKeyword}}));
    g.tensor_values["relu__view"] = g.tensor_values.at("relu_");
    g.outputs.push_back(tensor_named("relu__view"));
    ir::OutputSpec extra = program.signature.outputs.back();
    extra.arg.name = "relu__view";
    program.signature.outputs.push_back(extra);
    const std::string text = dump_program(program, "fold_constants");
    INFO(text);
    CHECK(text.find("\nop relu__2 = mkldnn._convolution_pointwise.binary(%relu__1, %relu_, ") !=
          std::string::npos);
  }
  // The residual is also the convolution's input (conv(x) + x): oneDNN would read what it writes.
  {
    ir::Program program = ir::load_program(res_cnn);
    for (ir::Node& node : program.graph.nodes) {
      if (node.name != "conv2d_2") continue;
      for (ir::NamedArgument& in : node.inputs) {
        if (in.name == "input") in.arg = tensor_named("relu_");
      }
    }
    const std::string text = dump_program(program, "fold_constants");
    INFO(text);
    CHECK(text.find("\nop relu__2 = mkldnn._convolution_pointwise.binary(%relu_, %relu_, ") !=
          std::string::npos);
    CHECK(text.find("_convolution_pointwise_.binary(%relu_,") == std::string::npos);
  }
}

}  // namespace
}  // namespace aotic

namespace aotic {
namespace {

TEST_CASE("to_channels_last: on CUDA convolutions and the ops between them run on channels-last tensors") {
  codegen::CompileOptions cuda;
  cuda.device = "cuda";
  // small_cnn.core: two convolutions (the first fused with its relu), max pooling between them,
  // a global mean after.
  const std::string program = dump(testing::fixture("small_cnn.core.pt2"), "to_channels_last", cuda);
  CHECK(program.find("op x_channels_last = aten.clone.default(%x, channels_last)\n") != std::string::npos);
  CHECK(program.find("op p_c2_weight_channels_last = aten.clone.default(%p_c2_weight, channels_last)\n") !=
        std::string::npos);
  CHECK(program.find(
            "aten.cudnn_convolution_relu.default(%x_channels_last, %convolution_weight_channels_last, ") !=
        std::string::npos);
  // The mean over both spatial dimensions reads the channels-last value; nothing converts back.
  CHECK(program.find("contiguous_format") == std::string::npos);
  const std::string fused = dump(testing::fixture("small_cnn.core.pt2"), "fuse_kernels", cuda);
  // The weights' clones are folded; the input's is a kernel; pooling keeps the layout.
  CHECK(fused.find("folded p_c2_weight_channels_last : float32[32, 16, 3, 3]\n") != std::string::npos);
  CHECK(fused.find("alloc x_channels_last : float32[2, 3, 32, 32] strides [3072, 1, 96, 3]\n") !=
        std::string::npos);
  CHECK(fused.find("alloc getitem_3 : float32[2, 16, 16, 16] strides [4096, 1, 256, 16]\n") !=
        std::string::npos);
  CHECK(fused.find("alloc mean : float32[2, 32, 1, 1] strides [32, 1, 1, 1]\n") != std::string::npos);

  // A channels-last value read by another op, or returned, gets a contiguous copy: small_cnn
  // returning its max pooling.
  ir::Program returns = ir::load_program(testing::fixture("small_cnn.core.pt2"));
  returns.graph.outputs[0].name = "getitem_3";
  returns.signature.outputs[0].arg.name = "getitem_3";
  const std::string returned = codegen::dump_after(returns, "to_channels_last", cuda);
  CHECK(returned.find("op getitem_3_contiguous = aten.clone.default(%getitem_3, contiguous_format)\n") !=
        std::string::npos);
  CHECK(returned.find("return getitem_3_contiguous") != std::string::npos);

  // PyTorch's C shim has no clone: fold() copies each weight into a buffer laid out channels-last.
  codegen::CompileOptions host = cuda;
  host.shim = codegen::ShimMode::kHost;
  CHECK(dump(testing::fixture("small_cnn.core.pt2"), "select_ops", host)
            .find("  alloc p_c2_weight_channels_last : float32[32, 16, 3, 3] strides [144, 1, 48, 16]\n"
                  "  call aoti_torch_copy_(p_c2_weight_channels_last, p_c2_weight, 0)\n") !=
        std::string::npos);

  // On the CPU too (grouped convolutions included).
  CHECK(dump(testing::fixture("small_cnn.core.pt2"), "fuse_kernels").find("x_channels_last") !=
        std::string::npos);
  // Unchanged: switched off; a model with one convolution (tiny_vit's patch embedding); on CUDA, a
  // model with a grouped convolution.
  codegen::CompileOptions off = cuda;
  off.disabled_passes = {"to_channels_last"};
  CHECK(dump(testing::fixture("small_cnn.core.pt2"), "fuse_kernels", off).find("channels_last") ==
        std::string::npos);
  CHECK(dump(testing::repo_path("tests/data/extra/tiny_vit.core.pt2"), "to_channels_last", cuda)
            .find("channels_last") == std::string::npos);
  ir::Program grouped = ir::load_program(testing::fixture("small_cnn.core.pt2"));
  for (ir::Node& node : grouped.graph.nodes) {
    for (ir::NamedArgument& in : node.inputs) {
      if (node.op_name() == "aten.convolution.default" && in.name == "groups") in.arg.int_value = 2;
    }
  }
  CHECK(codegen::dump_after(grouped, "to_channels_last", cuda).find("channels_last") == std::string::npos);
}

}  // namespace
}  // namespace aotic
