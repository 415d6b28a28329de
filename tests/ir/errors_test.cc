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

/// Checks that `message` starts with `prefix`.
void message_starts(const std::string& message, const std::string& prefix) {
  INFO(message);
  CHECK(message.rfind(prefix, 0) == 0);
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

/// Rewrites the uncompressed size that the local and central headers of zip entry `name` record.
void patch_zip_size(const std::string& path, const std::string& name, uint32_t size) {
  std::string bytes = testing::read_file(path);
  const auto patch = [&](const std::string& signature, size_t name_length_at, size_t name_at,
                         size_t size_at) {
    for (size_t at = bytes.find(signature); at != std::string::npos; at = bytes.find(signature, at + 4)) {
      const size_t length = static_cast<uint8_t>(bytes[at + name_length_at]) |
                            static_cast<uint8_t>(bytes[at + name_length_at + 1]) << 8;
      if (bytes.compare(at + name_at, length, name) != 0) continue;
      for (int i = 0; i < 4; ++i) bytes[at + size_at + i] = static_cast<char>((size >> (8 * i)) & 0xff);
    }
  };
  patch(std::string("PK\x03\x04", 4), 26, 30, 22);  // local file header
  patch(std::string("PK\x01\x02", 4), 28, 46, 24);  // central directory entry
  testing::write_file(path, bytes);
}

TEST_CASE("hostile archives: sizes, bombs and nesting are refused before allocating") {
  Workspace ws;
  // A header that claims 4 GiB for a 32 KiB stored entry.
  std::string path = ws.write_files("claim.pt2", ws.files());
  patch_zip_size(path, "m/data/weights/weight_0", 0xfffffff0u);
  CHECK(error_of(path) == path +
                              ": data/weights/weight_0: corrupt entry header: stored entry of 32768 bytes "
                              "claims 4294967280");

  // model.json padded to 70 MiB of spaces: deflates about 1000 to 1.
  auto files = ws.files();
  files["models/model.json"] += std::string(size_t{70} << 20, ' ');
  path = ws.dir() + "/bomb.pt2";
  testing::write_zip(path, files, "m", /*deflate=*/true);
  std::string message = error_of(path);
  CHECK(message.rfind(path + ": models/model.json: refusing to expand ", 0) == 0);
  CHECK(message.find("(more than 100x: not an export's text)") != std::string::npos);

  // Nesting deeper than any export: refused before the parser recurses.
  json m = ws.model();
  std::string deep = std::string(300, '[') + std::string(300, ']');
  std::string text = m.dump();
  text.insert(text.size() - 1, ",\"deep\":" + deep);
  files = ws.files();
  files["models/model.json"] = text;
  path = ws.write_files("deep.pt2", files);
  CHECK(error_of(path) == path + ": models/model.json: invalid JSON: nested more than 256 levels deep");
}

TEST_CASE("hostile tensor metadata: negative or overflowing sizes, strides and spans") {
  Workspace ws;
  json m = ws.model();
  m["graph_module"]["graph"]["tensor_values"]["x"]["sizes"][0] = {{"as_int", -7}};
  std::string path = ws.write("negsize.pt2", m);
  CHECK(error_of(path) ==
        path + ": models/model.json: graph_module.graph.tensor_values.x.sizes: negative value -7 at dim 0");

  m = ws.model();
  m["graph_module"]["graph"]["tensor_values"]["x"]["strides"][1] = {{"as_int", -1}};
  path = ws.write("negstride.pt2", m);
  CHECK(error_of(path) ==
        path + ": models/model.json: graph_module.graph.tensor_values.x.strides: negative value -1 at dim 1");

  m = ws.model();
  m["graph_module"]["graph"]["tensor_values"]["x"]["sizes"][0] = {{"as_int", int64_t{1} << 62}};
  m["graph_module"]["graph"]["tensor_values"]["x"]["strides"][0] = {{"as_int", int64_t{1} << 62}};
  path = ws.write("huge.pt2", m);
  message_starts(
      error_of(path),
      path + ": models/model.json: graph_module.graph.tensor_values.x: tensor float32[4611686018427387904, ");

  // A weight whose storage span ends at INT64_MAX: refused without overflowing while sizing it.
  auto files = ws.files();
  json config = json::parse(files["data/weights/model_weights_config.json"]);
  config["config"]["l1.bias"]["tensor_meta"]["storage_offset"] = {{"as_int", INT64_MAX - 127}};  // [128]
  files["data/weights/model_weights_config.json"] = config.dump();
  path = ws.write_files("span.pt2", files);
  CHECK(error_of(path) == path +
                              ": data/weights/model_weights_config.json: config.l1.bias.tensor_meta: tensor "
                              "float32[128] spans more than 2^63 bytes");
}

TEST_CASE("names from input cannot break a message into lines") {
  Workspace ws;
  auto files = ws.files();
  json config = json::parse(files["data/weights/model_weights_config.json"]);
  config["config"]["l1.bias"]["path_name"] = "wei\nght_1\x01";
  files["data/weights/model_weights_config.json"] = config.dump();
  std::string path = ws.write_files("newline.pt2", files);
  CHECK(error_of(path) == path + ": weight 'l1.bias': missing payload data/weights/wei\\nght_1\\x01");
}

TEST_CASE("a corrupt config entry names its place once") {
  Workspace ws;
  std::string path = ws.write_files("crc.pt2", ws.files());
  std::string bytes = testing::read_file(path);
  const size_t at = bytes.find("\"path_name\"");  // in the weights config only
  REQUIRE(at != std::string::npos);
  bytes[at + 3] = 'X';  // the stored bytes no longer match their CRC
  testing::write_file(path, bytes);
  CHECK(error_of(path) == path + ": data/weights/model_weights_config.json: corrupt entry: CRC error");
}

}  // namespace
}  // namespace aotic::ir
