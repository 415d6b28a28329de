// Loading real torch.export archives (PyTorch 2.11) in every accepted form.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <set>

#include "ir/error.h"
#include "ir/load.h"
#include "ir/safetensors.h"
#include "tests/test_util.h"

namespace aotic::ir {
namespace {

using testing::extra;
using testing::fixture;

struct Expected {
  const char* path;
  size_t weights;
  uint64_t weight_bytes;
  size_t nodes;  // top-level graph
};

uint64_t storage_bytes(const Program& p) {
  uint64_t total = 0;
  const Storage* last = nullptr;
  for (const Weight& w : p.weights) {
    if (w.storage.get() != last) total += w.storage->size();
    last = w.storage.get();
  }
  return total;
}

TEST_CASE("every bundled archive loads with its weights") {
  const Expected cases[] = {
      {"fixtures/mlp.pt2", 4, 38440, 3},
      {"fixtures/mlp.core.pt2", 4, 38440, 5},
      {"fixtures/mlp_dyn.pt2", 4, 38440, 3},
      {"fixtures/mlp_dyn.core.pt2", 4, 38440, 5},
      {"fixtures/small_cnn.pt2", 11, 21936, 10},
      {"fixtures/small_cnn.core.pt2", 11, 21936, 12},
      {"fixtures/tiny_gpt.pt2", 29, 2144256, 44},
      {"fixtures/tiny_gpt.core.pt2", 29, 2144256, 157},
      {"extra/cond.pt2", 2, 1088, 3},
      {"extra/cond.core.pt2", 2, 1088, 3},
      {"extra/gpt_dyn.pt2", 9, 206336, 20},
      {"extra/gpt_dyn.core.pt2", 9, 206336, 73},
      {"extra/misc_ops.pt2", 5, 384, 9},
      {"extra/misc_ops.core.pt2", 5, 384, 10},
      {"extra/sym_ops.pt2", 0, 0, 15},
      {"extra/sym_ops.core.pt2", 0, 0, 15},
  };
  for (const Expected& c : cases) {
    CAPTURE(c.path);
    Program p = load_program(testing::repo_path(std::string("tests/data/") + c.path));
    CHECK(p.schema_major == 8);
    CHECK(p.weights.size() == c.weights);
    CHECK(storage_bytes(p) == c.weight_bytes);
    CHECK(p.graph.nodes.size() == c.nodes);
    CHECK(p.torch_version.rfind("2.11", 0) == 0);
  }
}

TEST_CASE("mlp: signature, metadata and weights") {
  Program p = load_program(fixture("mlp.core.pt2"));
  REQUIRE(p.signature.inputs.size() == 5);
  CHECK(p.signature.inputs[0].kind == InputKind::kParameter);
  CHECK(p.signature.inputs[0].fqn == "l1.weight");
  CHECK(p.signature.inputs[0].value_name() == "p_l1_weight");
  CHECK(p.signature.inputs[4].kind == InputKind::kUserInput);
  CHECK(p.signature.inputs[4].value_name() == "x");
  const TensorMeta* x = p.graph.find_tensor("x");
  REQUIRE(x != nullptr);
  CHECK(x->to_string() == "float32[8, 64]");
  CHECK(x->strides[0].constant_value() == 64);
  CHECK(x->device.to_string() == "cpu");

  const Node& addmm = p.graph.nodes[1];
  CHECK(addmm.op_name() == "aten.addmm.default");
  REQUIRE(addmm.inputs.size() == 3);
  CHECK(addmm.inputs[0].name == "self");
  CHECK(addmm.inputs[0].arg.kind == ArgKind::kTensor);
  CHECK(addmm.inputs[0].arg.name == "p_l1_bias");
  CHECK(addmm.inputs[0].passing == ArgPassing::kPositional);

  CHECK(p.in_spec.rfind("[1, {\"type\": \"builtins.tuple\"", 0) == 0);
  CHECK(p.out_spec == "[1, {\"type\": null, \"context\": null, \"children_spec\": []}]");
  CHECK(p.forward_arg_names == std::vector<std::string>{"x"});

  const Weight* w = p.find_weight("l1.weight");
  REQUIRE(w != nullptr);
  CHECK(w->is_param);
  CHECK(w->meta.to_string() == "float32[128, 64]");
  CHECK(w->storage->size() == 128 * 64 * 4);
  CHECK(p.find_weight("nope") == nullptr);
}

TEST_CASE("mlp_dyn: symbolic batch with its range") {
  Program p = load_program(fixture("mlp_dyn.pt2"));
  const TensorMeta* x = p.graph.find_tensor("x");
  REQUIRE(x != nullptr);
  CHECK(x->to_string() == "float32[s77, 64]");
  CHECK_FALSE(x->is_static());
  CHECK(x->sizes[0].as_symbol() == "s77");
  REQUIRE(p.range_constraints.count("s77") == 1);
  CHECK(p.range_constraints.at("s77").min == 1);
  CHECK(p.range_constraints.at("s77").max == 1024);
  CHECK(p.range_constraints.at("s77").to_string() == "1..1024");
}

TEST_CASE("sym_ops: compound symbolic sizes, sym ints and Python operators") {
  Program p = load_program(extra("sym_ops.pt2"));
  CHECK(p.range_constraints.size() == 2);
  const TensorMeta* cat = p.graph.find_tensor("cat");
  REQUIRE(cat != nullptr);
  CHECK(cat->sizes[0].to_string() == "s17 + s77");
  CHECK(cat->sizes[0].evaluate({{"s17", 5}, {"s77", 6}}) == 11);
  REQUIRE(p.graph.sym_int_values.count("floordiv") == 1);
  const SymValue& fd = p.graph.sym_int_values.at("floordiv");
  CHECK(fd.hint == 3);
  CHECK(fd.expr.evaluate({{"s77", 6}}) == 3);
  bool saw_sym_ints = false, saw_operator = false;
  for (const Node& n : p.graph.nodes) {
    if (n.target == "_operator.floordiv") saw_operator = true;
    for (const NamedArgument& a : n.inputs) {
      if (a.arg.kind == ArgKind::kSymInts) {
        saw_sym_ints = true;
        CHECK(a.arg.refs[0].kind == ValueRef::Kind::kName);
      }
    }
  }
  CHECK(saw_sym_ints);
  CHECK(saw_operator);
}

TEST_CASE("cond: subgraphs of torch.ops.higher_order.cond") {
  Program p = load_program(extra("cond.core.pt2"));
  const Node* cond = nullptr;
  for (const Node& n : p.graph.nodes) {
    if (n.target == "torch.ops.higher_order.cond") cond = &n;
  }
  REQUIRE(cond != nullptr);
  REQUIRE(cond->inputs.size() >= 3);
  CHECK(cond->inputs[0].arg.kind == ArgKind::kTensor);
  CHECK(cond->inputs[1].arg.kind == ArgKind::kGraph);
  CHECK(cond->inputs[1].arg.graph.name == "true_graph_0");
  CHECK(cond->inputs[2].arg.graph.name == "false_graph_0");
  const Graph& yes = *cond->inputs[1].arg.graph.graph;
  CHECK(yes.nodes.size() >= 2);
  CHECK(yes.find_tensor(yes.outputs[0].name) != nullptr);
}

TEST_CASE("misc_ops: buffers, tensor constants, optional tensor lists, strings") {
  Program p = load_program(extra("misc_ops.pt2"));
  std::vector<std::string> kinds;
  for (const InputSpec& s : p.signature.inputs) kinds.push_back(input_kind_name(s.kind));
  CHECK(kinds == std::vector<std::string>{"parameter", "parameter", "buffer", "buffer", "tensor_constant",
                                          "user_input", "user_input"});
  CHECK(p.signature.inputs[2].persistent);
  CHECK_FALSE(p.signature.inputs[3].persistent);
  CHECK(p.signature.inputs[4].fqn == "table");
  CHECK(p.find_weight("offset") != nullptr);  // non-persistent buffers come from the constants folder
  CHECK_FALSE(p.find_weight("table")->is_param);
  std::set<ArgKind> seen;
  for (const Node& n : p.graph.nodes) {
    for (const NamedArgument& a : n.inputs) seen.insert(a.arg.kind);
  }
  CHECK(seen.count(ArgKind::kOptionalTensors));
  CHECK(seen.count(ArgKind::kString));
  CHECK(p.signature.outputs.size() == 4);
  // torch.linspace(0.5, 1.5, 8): the first and last values are exact in float32.
  const Weight* scale = p.find_weight("scale");
  float first, last;
  std::memcpy(&first, scale->storage->data(), 4);
  std::memcpy(&last, scale->storage->data() + 28, 4);
  CHECK(first == 0.5f);
  CHECK(last == 1.5f);
}

TEST_CASE("an unpacked directory loads the same as its archive") {
  std::string dir = testing::scratch_dir("unpacked");
  testing::unpack(fixture("small_cnn.pt2"), dir);
  Program a = load_program(fixture("small_cnn.pt2"));
  Program b = load_program(dir);
  REQUIRE(a.weights.size() == b.weights.size());
  for (size_t i = 0; i < a.weights.size(); ++i) {
    CHECK(a.weights[i].fqn == b.weights[i].fqn);
    CHECK(a.weights[i].storage->size() == b.weights[i].storage->size());
    CHECK(std::memcmp(a.weights[i].storage->data(), b.weights[i].storage->data(),
                      a.weights[i].storage->size()) == 0);
  }
  CHECK(a.graph.nodes.size() == b.graph.nodes.size());
}

TEST_CASE("a bare model.json: weights from a data/ folder beside it or from --weights") {
  std::string dir = testing::scratch_dir("bare");
  testing::unpack(fixture("mlp.pt2"), dir);
  Program from_archive = load_program(fixture("mlp.pt2"));

  // models/model.json with data/ beside the models/ folder.
  Program beside = load_program(dir + "/models/model.json");
  CHECK(beside.weights.size() == 4);

  // model.json alone, weights from safetensors keyed by FQN.
  std::string alone = testing::scratch_dir("alone");
  testing::write_file(alone + "/graph.json", testing::read_file(dir + "/models/model.json"));
  std::vector<SafetensorsTensor> tensors;
  for (const Weight& w : from_archive.weights) {
    std::vector<int64_t> shape;
    for (const SymExpr& s : w.meta.sizes) shape.push_back(*s.constant_value());
    tensors.push_back({w.fqn, w.meta.dtype, shape, w.storage->data(), w.storage->size()});
  }
  write_safetensors(alone + "/w.safetensors", tensors);
  LoadOptions options;
  options.weights_path = alone + "/w.safetensors";
  Program with_file = load_program(alone + "/graph.json", options);
  REQUIRE(with_file.weights.size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    const Weight* w = from_archive.find_weight(with_file.weights[i].fqn);
    REQUIRE(w != nullptr);
    CHECK(std::memcmp(w->storage->data(), with_file.weights[i].storage->data(), w->storage->size()) == 0);
  }

  // Without either, the error says what to do.
  try {
    load_program(alone + "/graph.json");
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()) ==
          alone +
              "/graph.json: the graph has weights: pass --weights FILE.safetensors or "
              "put a data/ folder beside it");
  }
}

TEST_CASE("a bare graph without parameters needs no weights") {
  std::string dir = testing::scratch_dir("noweights");
  testing::unpack(extra("sym_ops.pt2"), dir);
  std::string json = dir + "/only.json";
  testing::write_file(json, testing::read_file(dir + "/models/model.json"));
  std::filesystem::remove_all(dir + "/data");
  Program p = load_program(json);
  CHECK(p.weights.empty());
  CHECK(p.graph.nodes.size() == 15);
}

TEST_CASE("the archive's top folder name does not matter") {
  // The unpacked tree re-read through a directory with another name.
  std::string dir = testing::scratch_dir("renamed") + "/some_other_name";
  testing::unpack(fixture("mlp_dyn.pt2"), dir);
  Program p = load_program(dir);
  CHECK(p.range_constraints.count("s77") == 1);
}

TEST_CASE("zips with another top folder, no top folder, or deflated entries load alike") {
  Program reference = load_program(fixture("small_cnn.core.pt2"));
  auto files = testing::entries_of(fixture("small_cnn.core.pt2"));
  std::string dir = testing::scratch_dir("rezip");
  struct Variant {
    const char* top;
    bool deflate;
  };
  for (Variant v :
       {Variant{"renamed", false}, Variant{"", false}, Variant{"deep/er", true}, Variant{"x", true}}) {
    CAPTURE(v.top);
    CAPTURE(v.deflate);
    std::string path = dir + "/variant.pt2";
    testing::write_zip(path, files, v.top, v.deflate);
    Program p = load_program(path);
    REQUIRE(p.weights.size() == reference.weights.size());
    for (size_t i = 0; i < p.weights.size(); ++i) {
      CHECK(std::memcmp(p.weights[i].storage->data(), reference.weights[i].storage->data(),
                        p.weights[i].storage->size()) == 0);
    }
  }
}

}  // namespace
}  // namespace aotic::ir
