// Every variant of the export schema's Argument union, read from the JSON torch.export writes.
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "ir/error.h"
#include "ir/model_json.h"

namespace aotic::ir {
namespace {

Argument parse(const std::string& text) {
  nlohmann::json doc = parse_json_document(text);
  return read_argument(JsonReader(doc, "arg"));
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

TEST_CASE("scalar variants") {
  CHECK(parse(R"({"as_none": true})").kind == ArgKind::kNone);
  Argument i = parse(R"({"as_int": -3})");
  CHECK(i.kind == ArgKind::kInt);
  CHECK(i.int_value == -3);
  CHECK(parse(R"({"as_int": 9223372036854775807})").int_value == INT64_MAX);
  Argument f = parse(R"({"as_float": 0.5})");
  CHECK(f.kind == ArgKind::kFloat);
  CHECK(f.float_value == 0.5);
  CHECK(parse(R"({"as_float": 2})").float_value == 2.0);
  CHECK(std::isinf(parse(R"({"as_float": "-Infinity"})").float_value));
  CHECK(parse(R"({"as_bool": true})").bool_value);
  Argument s = parse(R"({"as_string": "tanh"})");
  CHECK(s.kind == ArgKind::kString);
  CHECK(s.to_string() == "'tanh'");
  Argument c = parse(R"({"as_complex": {"real": 1.5, "imag": -2}})");
  CHECK(c.kind == ArgKind::kComplex);
  CHECK(c.imag_value == -2.0);
  CHECK(parse(R"({"as_operator": "aten.add.Tensor"})").name == "aten.add.Tensor");
}

TEST_CASE("enum-coded variants") {
  Argument dt = parse(R"({"as_scalar_type": 13})");
  CHECK(dt.kind == ArgKind::kScalarType);
  CHECK(dt.to_string() == "bfloat16");
  CHECK(parse(R"({"as_memory_format": 2})").to_string() == "channels_last");
  CHECK(parse(R"({"as_layout": 7})").to_string() == "strided");
  Argument d = parse(R"({"as_device": {"type": "cuda", "index": 1}})");
  CHECK(d.kind == ArgKind::kDevice);
  CHECK(d.to_string() == "cuda:1");
  CHECK(parse(R"({"as_device": {"type": "cpu", "index": null}})").to_string() == "cpu");
}

TEST_CASE("list variants") {
  CHECK(parse(R"({"as_ints": [1, 2, 3]})").ints == std::vector<int64_t>{1, 2, 3});
  CHECK(parse(R"({"as_floats": [0.5, 1]})").floats == std::vector<double>{0.5, 1.0});
  CHECK(parse(R"({"as_bools": [true, false]})").bools == std::vector<bool>{true, false});
  CHECK(parse(R"({"as_strings": ["a", "b"]})").to_string() == "['a', 'b']");
  CHECK(parse(R"({"as_int_lists": [[1], [2, 3]]})").to_string() == "[[1], [2, 3]]");
  CHECK(parse(R"({"as_ints": []})").to_string() == "[]");
}

TEST_CASE("tensor variants") {
  Argument t = parse(R"({"as_tensor": {"name": "x"}})");
  CHECK(t.kind == ArgKind::kTensor);
  CHECK(t.value_names() == std::vector<std::string>{"x"});
  Argument ts = parse(R"({"as_tensors": [{"name": "a"}, {"name": "b"}]})");
  CHECK(ts.to_string() == "[%a, %b]");
  Argument ot = parse(R"({"as_optional_tensors": [{"as_tensor": {"name": "i"}}, {"as_none": true}]})");
  CHECK(ot.kind == ArgKind::kOptionalTensors);
  CHECK(ot.to_string() == "[%i, None]");
  CHECK(ot.value_names() == std::vector<std::string>{"i"});
  CHECK(parse(R"({"as_optional_tensor": {"as_none": true}})").to_string() == "None");
  CHECK(parse(R"({"as_optional_tensor": {"as_tensor": {"name": "w"}}})").value_names() ==
        std::vector<std::string>{"w"});
  Argument nested = parse(R"({"as_nested_tensors": [[{"name": "a"}], [{"name": "b"}, {"name": "c"}]]})");
  CHECK(nested.value_names() == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("symbolic variants mix names and literals") {
  Argument si = parse(R"({"as_sym_int": {"as_name": "sym_size_int"}})");
  CHECK(si.kind == ArgKind::kSymInt);
  CHECK(si.to_string() == "%sym_size_int");
  Argument sis = parse(R"({"as_sym_ints": [{"as_name": "floordiv"}, {"as_int": 3}]})");
  CHECK(sis.to_string() == "[%floordiv, 3]");
  CHECK(sis.value_names() == std::vector<std::string>{"floordiv"});
  CHECK(parse(R"({"as_sym_bool": {"as_bool": true}})").to_string() == "True");
  CHECK(parse(R"({"as_sym_bools": [{"as_name": "eq"}, {"as_bool": false}]})").to_string() == "[%eq, False]");
  CHECK(parse(R"({"as_sym_float": {"as_float": 0.25}})").to_string() == "0.25");
  CHECK(parse(R"({"as_sym_floats": [{"as_name": "f"}, {"as_float": 1.5}]})").to_string() == "[%f, 1.5]");
}

TEST_CASE("graph, custom object and dict variants") {
  Argument g =
      parse(R"({"as_graph": {"name": "true_graph_0", "graph": {"inputs": [{"as_tensor": {"name": "x"}}],
      "outputs": [{"as_tensor": {"name": "x"}}], "nodes": [], "tensor_values": {"x": {"dtype": 7,
      "sizes": [{"as_int": 2}], "strides": [{"as_int": 1}], "storage_offset": {"as_int": 0},
      "device": {"type": "cpu"}, "layout": 7, "requires_grad": false}}, "sym_int_values": {}}}})");
  CHECK(g.kind == ArgKind::kGraph);
  CHECK(g.to_string() == "<graph true_graph_0>");
  REQUIRE(g.graph.graph != nullptr);
  CHECK(g.graph.graph->find_tensor("x")->to_string() == "float32[2]");
  Argument obj = parse(R"({"as_custom_obj": {"name": "obj0", "class_fqn": "__torch__.Foo"}})");
  CHECK(obj.kind == ArgKind::kCustomObj);
  CHECK(obj.class_fqn == "__torch__.Foo");
  Argument dict =
      parse(R"({"as_string_to_argument": {"a": {"as_int": 1}, "b": {"as_tensor": {"name": "t"}}}})");
  CHECK(dict.kind == ArgKind::kStringToArgument);
  CHECK(dict.to_string() == "['a': 1, 'b': %t]");
  CHECK(dict.value_names() == std::vector<std::string>{"t"});
}

TEST_CASE("every kind has a distinct JSON key") {
  std::set<std::string> keys;
  for (int k = 0; k <= static_cast<int>(ArgKind::kStringToArgument); ++k) {
    keys.insert(arg_kind_key(static_cast<ArgKind>(k)));
  }
  CHECK(keys.size() == 30);
}

TEST_CASE("bad arguments name the place and the problem") {
  CHECK(error_of(R"({"as_foo": 1})") == "arg: unknown variant 'as_foo'");
  CHECK(error_of(R"({})") == "arg: expected one variant, got 0");
  CHECK(error_of(R"({"as_int": 1, "as_float": 2})") == "arg: expected one variant, got 2");
  CHECK(error_of(R"({"as_int": "3"})") == "arg.as_int: expected integer, got string");
  CHECK(error_of(R"({"as_int": 1.5})") == "arg.as_int: expected integer, got number");
  CHECK(error_of(R"({"as_int": 18446744073709551615})") == "arg.as_int: integer out of range");
  CHECK(error_of(R"({"as_ints": [1, "x"]})") == "arg.as_ints[1]: expected integer, got string");
  CHECK(error_of(R"({"as_tensor": {}})") == "arg.as_tensor: missing field 'name'");
  CHECK(error_of(R"({"as_scalar_type": 99})") == "arg.as_scalar_type: unknown dtype code 99");
  CHECK(error_of(R"({"as_layout": 0})") == "arg.as_layout: unknown layout code 0");
  CHECK(error_of(R"({"as_memory_format": 9})") == "arg.as_memory_format: unknown memory format code 9");
  CHECK(error_of(R"({"as_sym_ints": [{"as_float": 1.0}]})") ==
        "arg.as_sym_ints[0]: unknown variant 'as_float'");
  CHECK(error_of(R"([1])") == "arg: expected object, got array");
  CHECK(error_of(R"({"as_device": {"type": ""}})") == "arg.as_device: empty device type");
}

}  // namespace
}  // namespace aotic::ir
