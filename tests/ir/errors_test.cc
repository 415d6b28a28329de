// Bad input: each case gets one line that names the file, the entry and the node at fault.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "ir/error.h"
#include "ir/load.h"
#include "tests/test_util.h"

namespace aotic::ir {
namespace {

using nlohmann::json;
using testing::fixture;

std::string error_of(const std::string& path, const LoadOptions& options = {}) {
  try {
    load_program(path, options);
  } catch (const UserError& e) {
    std::string message = e.what();
    CHECK(message.find('\n') == std::string::npos);  // one line
    return message;
  }
  return "no error";
}

/// Writes mlp.core.pt2 with `edit` applied to its model.json (and `files` edited) as NAME.pt2.
class Workspace {
 public:
  Workspace() : dir_(testing::scratch_dir("errors")), files_(testing::entries_of(fixture("mlp.core.pt2"))) {}

  json model() const { return json::parse(files_.at("models/model.json")); }

  std::string write(const std::string& name, const json& model_json) {
    auto files = files_;
    files["models/model.json"] = model_json.dump();
    return write_files(name, files);
  }

  std::string write_files(const std::string& name, const std::map<std::string, std::string>& files) {
    std::string path = dir_ + "/" + name;
    testing::write_zip(path, files, "m", false);
    return path;
  }

  const std::map<std::string, std::string>& files() const { return files_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::map<std::string, std::string> files_;
};

TEST_CASE("files that are missing or not archives") {
  Workspace ws;
  CHECK(error_of(ws.dir() + "/nope.pt2") == ws.dir() + "/nope.pt2: no such file or directory");
  std::string empty = ws.dir() + "/empty.pt2";
  testing::write_file(empty, "");
  CHECK(error_of(empty) == empty + ": not a readable .pt2 (zip) archive: Not a zip archive");
  std::string text = ws.dir() + "/text.pt2";
  testing::write_file(text, "hello, this is not a zip file at all");
  CHECK(error_of(text) == text + ": not a readable .pt2 (zip) archive: Not a zip archive");
  std::string bytes = testing::read_file(fixture("mlp.pt2"));
  std::string truncated = ws.dir() + "/truncated.pt2";
  testing::write_file(truncated, bytes.substr(0, bytes.size() / 2));
  CHECK(error_of(truncated) == truncated + ": not a readable .pt2 (zip) archive: Not a zip archive");
  CHECK(error_of(ws.dir()) == ws.dir() + ": not an export directory: no models/model.json");
}

TEST_CASE("archive without model.json") {
  Workspace ws;
  auto files = ws.files();
  files.erase("models/model.json");
  std::string path = ws.write_files("nomodel.pt2", files);
  CHECK(error_of(path) == path + ": not a torch.export archive: no models/model.json entry");
}

TEST_CASE("invalid JSON") {
  Workspace ws;
  auto files = ws.files();
  files["models/model.json"] = "{\"graph_module\": [1, 2";
  std::string path = ws.write_files("badjson.pt2", files);
  CHECK(error_of(path) ==
        path +
            ": models/model.json: invalid JSON: parse error at line 1, column 23: syntax error while parsing "
            "array - unexpected end of input; expected ']'");
}

TEST_CASE("unsupported schema version") {
  Workspace ws;
  json m = ws.model();
  m["schema_version"] = {{"major", 9}, {"minor", 0}};
  std::string path = ws.write("v9.pt2", m);
  CHECK(error_of(path) ==
        path + ": models/model.json: unsupported schema version 9.0 (aotic reads major version 8)");
  m.erase("schema_version");
  path = ws.write("noversion.pt2", m);
  CHECK(error_of(path) == path + ": models/model.json: missing field 'schema_version'");
}

TEST_CASE("unknown argument variant names node and argument") {
  Workspace ws;
  json m = ws.model();
  m["graph_module"]["graph"]["nodes"][1]["inputs"][1]["arg"] = {{"as_foo", 1}};
  std::string path = ws.write("variant.pt2", m);
  CHECK(error_of(path) ==
        path +
            ": models/model.json: graph_module.graph.nodes[1] 'addmm'.inputs[1] 'mat1'.arg: "
            "unknown variant 'as_foo'");
}

TEST_CASE("unknown operators are all listed at once") {
  Workspace ws;
  json m = ws.model();
  m["graph_module"]["graph"]["nodes"][1]["target"] = "torch.ops.aten.not_an_op.default";
  m["graph_module"]["graph"]["nodes"][2]["target"] = "torch.ops.mylib.custom.default";
  std::string path = ws.write("unknown.pt2", m);
  CHECK(error_of(path) ==
        path +
            ": models/model.json: unknown operators: torch.ops.aten.not_an_op.default (node "
            "'addmm'), torch.ops.mylib.custom.default (node 'relu')");
}

TEST_CASE("arguments are checked against the schema") {
  Workspace ws;
  json m = ws.model();
  json& inputs = m["graph_module"]["graph"]["nodes"][1]["inputs"];
  json missing = m;
  missing["graph_module"]["graph"]["nodes"][1]["inputs"].erase(2);
  std::string path = ws.write("missing.pt2", missing);
  CHECK(error_of(path) == path +
                              ": models/model.json: node 'addmm' (aten.addmm.default): missing required "
                              "argument 'mat2' (Tensor)");
  json wrong = m;
  wrong["graph_module"]["graph"]["nodes"][1]["inputs"][2]["arg"] = {{"as_string", "3"}};
  path = ws.write("wrongkind.pt2", wrong);
  CHECK(error_of(path) == path +
                              ": models/model.json: node 'addmm' (aten.addmm.default): argument 'mat2': "
                              "expected Tensor, got as_string");
  json extra = m;
  extra["graph_module"]["graph"]["nodes"][1]["inputs"].push_back(
      {{"name", "gamma"}, {"arg", {{"as_int", 1}}}, {"kind", 2}});
  path = ws.write("extra.pt2", extra);
  CHECK(error_of(path) == path +
                              ": models/model.json: node 'addmm' (aten.addmm.default): argument 'gamma' is "
                              "not in the schema aten::addmm");
  json undefined = m;
  undefined["graph_module"]["graph"]["nodes"][1]["inputs"][0]["arg"] = {{"as_tensor", {{"name", "ghost"}}}};
  path = ws.write("undefined.pt2", undefined);
  CHECK(error_of(path) == path +
                              ": models/model.json: node 'addmm' (aten.addmm.default): argument 'self': "
                              "value 'ghost' is used before it is defined");
  (void)inputs;
}

TEST_CASE("bad tensor metadata and symbolic sizes") {
  Workspace ws;
  json m = ws.model();
  m["graph_module"]["graph"]["tensor_values"]["x"]["dtype"] = 42;
  std::string path = ws.write("dtype.pt2", m);
  CHECK(error_of(path) ==
        path + ": models/model.json: graph_module.graph.tensor_values.x.dtype: unknown dtype code 42");
  m = ws.model();
  m["graph_module"]["graph"]["tensor_values"]["x"]["sizes"][0] = {
      {"as_expr", {{"expr_str", "Foo(s0)"}, {"hint", {{"as_int", 8}}}}}};
  path = ws.write("expr.pt2", m);
  std::string message = error_of(path);
  CHECK(message.rfind(
            path + ": models/model.json: graph_module.graph.tensor_values.x.sizes[0].as_expr.expr_str: "
                   "cannot parse symbolic expression 'Foo(s0)'",
            0) == 0);
}

TEST_CASE("weights: missing, wrong size, mismatched metadata") {
  Workspace ws;
  auto files = ws.files();
  files.erase("data/weights/weight_0");
  std::string path = ws.write_files("noweight.pt2", files);
  CHECK(error_of(path) == path + ": weight 'l1.weight': missing payload data/weights/weight_0");

  files = ws.files();
  files["data/weights/weight_0"].resize(100);
  path = ws.write_files("short.pt2", files);
  CHECK(error_of(path) ==
        path + ": weight 'l1.weight': data/weights/weight_0 has 100 bytes, its metadata needs 32768");

  files = ws.files();
  json config = json::parse(files["data/weights/model_weights_config.json"]);
  config["config"].erase("l2.bias");
  files["data/weights/model_weights_config.json"] = config.dump();
  path = ws.write_files("noconfig.pt2", files);
  CHECK(error_of(path) ==
        path +
            ": weight 'l2.bias' (parameter) is missing: not in "
            "data/weights/model_weights_config.json or data/constants/model_constants_config.json");

  files = ws.files();
  config = json::parse(files["data/weights/model_weights_config.json"]);
  config["config"]["l1.weight"]["tensor_meta"]["dtype"] = 8;
  files["data/weights/model_weights_config.json"] = config.dump();
  path = ws.write_files("dtype.pt2", files);
  CHECK(error_of(path) ==
        path + ": weight 'l1.weight': dtype float64 in its config but float32 in the graph");

  files = ws.files();
  config = json::parse(files["data/weights/model_weights_config.json"]);
  config["config"]["l1.weight"]["use_pickle"] = true;
  files["data/weights/model_weights_config.json"] = config.dump();
  path = ws.write_files("pickle.pt2", files);
  CHECK(error_of(path) == path +
                              ": data/weights/model_weights_config.json: config.l1.weight: pickled payloads "
                              "(custom objects, tensor subclasses) are not supported");
}

TEST_CASE("safetensors weights: missing file, bad header, missing or mismatched tensor") {
  Workspace ws;
  std::string dir = testing::scratch_dir("st");
  testing::unpack(fixture("mlp.pt2"), dir);
  std::string graph = dir + "/graph.json";
  testing::write_file(graph, testing::read_file(dir + "/models/model.json"));
  LoadOptions options;
  options.weights_path = dir + "/none.safetensors";
  CHECK(error_of(graph, options) == dir + "/none.safetensors: no such file");

  options.weights_path = dir + "/short.safetensors";
  testing::write_file(options.weights_path, "abc");
  CHECK(error_of(graph, options) ==
        options.weights_path + ": not a safetensors file: shorter than its 8-byte header length");

  options.weights_path = dir + "/huge.safetensors";
  testing::write_file(options.weights_path, std::string("\xff\xff\xff\xff\x00\x00\x00\x00{}", 10));
  CHECK(error_of(graph, options) ==
        options.weights_path +
            ": not a safetensors file: header length 4294967295 exceeds the file (10 bytes)");

  options.weights_path = dir + "/io.safetensors";
  testing::write_file(options.weights_path, testing::read_file(fixture("mlp.io.safetensors")));
  CHECK(error_of(graph, options) ==
        graph + ": weight 'l1.weight' (parameter) is missing from " + options.weights_path);
}

}  // namespace
}  // namespace aotic::ir
