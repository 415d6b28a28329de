#include "ir/op_schema.h"
#include "ir/builtin_schemas.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ir/error.h"

namespace aotic::ir {
namespace {

constexpr const char* kSchemaFile = "ir/data/aten_schemas_torch2.11.txt";
constexpr size_t kSchemaLines = 4541;

/// The vendored schema list: relative to the working directory (the workspace root under Bazel),
/// else in the runfiles tree.
std::string read_schema_file() {
  std::vector<std::string> candidates = {kSchemaFile};
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) {
    candidates.push_back(std::string(srcdir) + "/" + workspace + "/" + kSchemaFile);
  }
  for (const std::string& path : candidates) {
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  FAIL("cannot open " << kSchemaFile);
  return {};
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

const SchemaRegistry& registry() {
  static const SchemaRegistry kRegistry =
      SchemaRegistry::parse(read_schema_file(), "aten_schemas_torch2.11.txt");
  return kRegistry;
}

std::string parse_error(std::string_view text) {
  try {
    parse_schema(text);
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

using Kind = SchemaType::Kind;

TEST_CASE("op_schema: every schema of PyTorch 2.11 parses and prints back unchanged") {
  const std::vector<std::string> lines = split_lines(read_schema_file());
  REQUIRE(lines.size() == kSchemaLines);
  size_t mismatches = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string where = "line " + std::to_string(i + 1);
    OpSchema schema = parse_schema(lines[i], where);
    if (schema.to_string() != lines[i]) {
      ++mismatches;
      CHECK_EQ(schema.to_string(), lines[i]);
    }
  }
  CHECK_EQ(mismatches, 0);
}

TEST_CASE("op_schema: registry holds every schema once") {
  CHECK_EQ(registry().size(), kSchemaLines);
  CHECK_EQ(registry().all().size(), kSchemaLines);
  CHECK(registry().duplicates().empty());
  CHECK_EQ(registry().all().front().qualified_name(), "_c10d_functional::_wrap_tensor_autograd");
  for (const OpSchema& schema : registry().all()) {
    REQUIRE(registry().find(schema.target()) == &schema);
    REQUIRE(registry().find(schema.qualified_name()) == &schema);
  }
}

TEST_CASE("op_schema: parsing the whole list is fast") {
  const std::string text = read_schema_file();
  auto start = std::chrono::steady_clock::now();
  SchemaRegistry parsed = SchemaRegistry::parse(text, "schemas");
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK_EQ(parsed.size(), kSchemaLines);
  CHECK(elapsed < std::chrono::seconds(2));
}

TEST_CASE("op_schema: addmm") {
  const OpSchema* addmm = registry().find("aten.addmm.default");
  REQUIRE(addmm != nullptr);
  CHECK_EQ(addmm->ns, "aten");
  CHECK_EQ(addmm->name, "addmm");
  CHECK_EQ(addmm->overload, "");
  CHECK_EQ(addmm->qualified_name(), "aten::addmm");
  CHECK_EQ(addmm->target(), "aten.addmm.default");
  CHECK_FALSE(addmm->is_mutable());
  CHECK_FALSE(addmm->is_vararg);
  REQUIRE(addmm->arguments.size() == 5);
  const char* names[] = {"self", "mat1", "mat2", "beta", "alpha"};
  for (size_t i = 0; i < 5; ++i) CHECK_EQ(addmm->arguments[i].name, names[i]);
  CHECK_EQ(addmm->arguments[0].type.kind, Kind::Tensor);
  CHECK_FALSE(addmm->arguments[0].kwarg_only);
  CHECK_FALSE(addmm->arguments[0].default_text.has_value());
  const SchemaArgument* beta = addmm->find_argument("beta");
  REQUIRE(beta == &addmm->arguments[3]);
  CHECK(beta->kwarg_only);
  CHECK_EQ(beta->type.kind, Kind::Scalar);
  CHECK_EQ(beta->default_text.value_or(""), "1");
  CHECK_FALSE(beta->is_out());
  CHECK(addmm->arguments[4].kwarg_only);
  CHECK(addmm->find_argument("gamma") == nullptr);
  REQUIRE(addmm->returns.size() == 1);
  CHECK_EQ(addmm->returns[0].name, "");
  CHECK_EQ(addmm->returns[0].type.kind, Kind::Tensor);
  CHECK(registry().find("torch.ops.aten.addmm.default") == addmm);
  CHECK(registry().find("aten::addmm") == addmm);
  CHECK(registry().find("aten::addmm.default") == addmm);
}

TEST_CASE("op_schema: in-place add") {
  const OpSchema* add_ = registry().find("torch.ops.aten.add_.Tensor");
  REQUIRE(add_ != nullptr);
  CHECK(registry().find("aten::add_.Tensor") == add_);
  CHECK(registry().find("aten.add_.Tensor") == add_);
  CHECK(add_->is_mutable());
  const SchemaArgument& self = add_->arguments.at(0);
  REQUIRE(self.alias.has_value());
  CHECK(self.alias->is_write);
  CHECK_EQ(self.alias->before_sets, std::vector<std::string>{"a"});
  CHECK(self.alias->after_sets.empty());
  CHECK_EQ(self.alias->to_string(), "(a!)");
  CHECK_EQ(self.to_string(), "Tensor(a!) self");
  CHECK_FALSE(self.is_out());
  REQUIRE(add_->returns.size() == 1);
  REQUIRE(add_->returns[0].alias.has_value());
  CHECK(add_->returns[0].alias->is_write);
  CHECK_FALSE(registry().find("aten.add.Tensor")->is_mutable());
}

TEST_CASE("op_schema: out variant") {
  const OpSchema* add_out = registry().find("aten.add.out");
  REQUIRE(add_out != nullptr);
  CHECK(add_out->is_mutable());
  const SchemaArgument* out = add_out->find_argument("out");
  REQUIRE(out != nullptr);
  CHECK(out->is_out());
  CHECK(out->kwarg_only);
  CHECK_FALSE(add_out->find_argument("alpha")->is_out());
}

TEST_CASE("op_schema: topk has named returns") {
  const OpSchema* topk = registry().find("aten.topk.default");
  REQUIRE(topk != nullptr);
  REQUIRE(topk->returns.size() == 2);
  CHECK_EQ(topk->returns[0].name, "values");
  CHECK_EQ(topk->returns[1].name, "indices");
  CHECK_EQ(topk->find_argument("k")->type.kind, Kind::SymInt);
  CHECK_EQ(topk->find_argument("dim")->default_text.value_or(""), "-1");
  CHECK_EQ(topk->find_argument("largest")->default_text.value_or(""), "True");
}

TEST_CASE("op_schema: max_pool2d_with_indices has fixed-size lists") {
  const OpSchema* pool = registry().find("aten.max_pool2d_with_indices.default");
  REQUIRE(pool != nullptr);
  const char* names[] = {"kernel_size", "stride", "padding", "dilation"};
  const char* defaults[] = {"", "[]", "0", "1"};
  for (size_t i = 0; i < 4; ++i) {
    const SchemaArgument& arg = pool->arguments.at(i + 1);
    CHECK_EQ(arg.name, names[i]);
    CHECK_EQ(arg.type.kind, Kind::List);
    CHECK_EQ(arg.type.fixed_size.value_or(-1), 2);
    REQUIRE(arg.type.elems.size() == 1);
    CHECK_EQ(arg.type.elems[0].kind, Kind::Int);
    CHECK_EQ(arg.type.to_string(), "int[2]");
    CHECK_EQ(arg.default_text.value_or(""), defaults[i]);
  }
  CHECK_EQ(pool->find_argument("ceil_mode")->default_text.value_or(""), "False");
  REQUIRE(pool->returns.size() == 2);
  CHECK_EQ(pool->returns[1].name, "");
}

TEST_CASE("op_schema: convolution") {
  const OpSchema* conv = registry().find("aten.convolution.default");
  REQUIRE(conv != nullptr);
  REQUIRE(conv->arguments.size() == 9);
  const SchemaType& bias = conv->find_argument("bias")->type;
  CHECK_EQ(bias.kind, Kind::Optional);
  CHECK_EQ(bias.elems.at(0).kind, Kind::Tensor);
  CHECK(bias.is_tensor_like());
  const SchemaType& stride = conv->find_argument("stride")->type;
  CHECK_EQ(stride.kind, Kind::List);
  CHECK_FALSE(stride.fixed_size.has_value());
  CHECK_EQ(stride.elems.at(0).kind, Kind::SymInt);
  CHECK_FALSE(stride.is_tensor_like());
  CHECK_EQ(conv->find_argument("transposed")->type.kind, Kind::Bool);
  CHECK_EQ(conv->find_argument("groups")->type.kind, Kind::SymInt);
}

TEST_CASE("op_schema: _native_batch_norm_legit_no_training") {
  const OpSchema* bn = registry().find("aten._native_batch_norm_legit_no_training.default");
  REQUIRE(bn != nullptr);
  CHECK_EQ(bn->arguments.size(), 7);
  CHECK_EQ(bn->find_argument("eps")->type.kind, Kind::Float);
  CHECK_EQ(bn->find_argument("weight")->type.to_string(), "Tensor?");
  CHECK_EQ(bn->returns.size(), 3);
  CHECK_EQ(bn->to_string(),
           "aten::_native_batch_norm_legit_no_training(Tensor input, Tensor? weight, Tensor? bias, "
           "Tensor running_mean, Tensor running_var, float momentum, float eps) -> (Tensor, "
           "Tensor, Tensor)");
}

TEST_CASE("op_schema: split_with_sizes returns an aliased list") {
  const OpSchema* split = registry().find("aten.split_with_sizes.default");
  REQUIRE(split != nullptr);
  const SchemaArgument& self = split->arguments.at(0);
  REQUIRE(self.alias.has_value());
  CHECK_EQ(self.alias->before_sets, std::vector<std::string>{"a"});
  CHECK_EQ(self.alias->after_sets, std::vector<std::string>{"*"});
  CHECK_FALSE(self.alias->is_write);
  CHECK_EQ(self.alias->to_string(), "(a -> *)");
  CHECK_FALSE(split->is_mutable());
  REQUIRE(split->returns.size() == 1);
  const SchemaArgument& ret = split->returns[0];
  CHECK_EQ(ret.type.kind, Kind::List);
  CHECK_EQ(ret.type.elems.at(0).kind, Kind::Tensor);
  CHECK(ret.type.is_tensor_like());
  REQUIRE(ret.alias.has_value());
  CHECK_FALSE(ret.alias->on_container);
  CHECK_EQ(ret.to_string(), "Tensor(a)[]");
}

TEST_CASE("op_schema: index.Tensor takes optional tensors") {
  const OpSchema* index = registry().find("aten.index.Tensor");
  REQUIRE(index != nullptr);
  const SchemaType& indices = index->find_argument("indices")->type;
  CHECK_EQ(indices.to_string(), "Tensor?[]");
  CHECK_EQ(indices.kind, Kind::List);
  CHECK_EQ(indices.elems.at(0).kind, Kind::Optional);
  CHECK_EQ(indices.elems.at(0).elems.at(0).kind, Kind::Tensor);
  CHECK(indices.is_tensor_like());
}

TEST_CASE("op_schema: unknown targets") {
  CHECK(registry().find("aten.no_such_op.default") == nullptr);
  CHECK(registry().find("aten.add.NoSuchOverload") == nullptr);
  CHECK(registry().find("aten.addmm") == nullptr);
  CHECK(registry().find("aten::") == nullptr);
  CHECK(registry().find("") == nullptr);
  CHECK(registry().find("torch.ops.") == nullptr);
}

TEST_CASE("op_schema: the rarer forms") {
  OpSchema getitem = parse_schema("aten::__getitem__.t(t[](a) list, int idx) -> t(*)");
  const SchemaArgument& list = getitem.arguments.at(0);
  CHECK_EQ(list.type.kind, Kind::List);
  CHECK_EQ(list.type.elems.at(0).kind, Kind::TypeVar);
  CHECK_EQ(list.type.elems.at(0).name, "t");
  REQUIRE(list.alias.has_value());
  CHECK(list.alias->on_container);
  CHECK_EQ(list.to_string(), "t[](a) list");
  CHECK_EQ(getitem.returns.at(0).alias->before_sets, std::vector<std::string>{"*"});

  OpSchema get = parse_schema("aten::get.str(Dict(str, t) self, str key) -> t(*)?");
  CHECK_EQ(get.arguments.at(0).type.kind, Kind::Dict);
  CHECK_EQ(get.arguments.at(0).type.elems.at(0).kind, Kind::Str);
  CHECK_EQ(get.returns.at(0).type.kind, Kind::Optional);
  CHECK_EQ(get.returns.at(0).to_string(), "t(*)?");

  OpSchema varargs = parse_schema("prim::PythonOp(...) -> ...");
  CHECK(varargs.is_vararg);
  CHECK(varargs.is_varret);
  CHECK(varargs.arguments.empty());
  CHECK(varargs.returns.empty());

  OpSchema nothing = parse_schema("aten::_assert_async(Tensor self) -> ()");
  CHECK(nothing.returns.empty());
  CHECK_FALSE(nothing.is_varret);

  OpSchema items = parse_schema("aten::items.str(Dict(str, t) self) -> ((str, t)[])");
  CHECK_EQ(items.returns.at(0).type.elems.at(0).kind, Kind::Tuple);
  CHECK_EQ(items.to_string(), "aten::items.str(Dict(str, t) self) -> ((str, t)[])");

  OpSchema klass = parse_schema(
      "_quantized::linear_prepack(Tensor W, Tensor? B=None) -> "
      "__torch__.torch.classes.quantized.LinearPackedParamsBase W_prepack");
  CHECK_EQ(klass.returns.at(0).type.kind, Kind::Other);
  CHECK_EQ(klass.returns.at(0).type.name, "__torch__.torch.classes.quantized.LinearPackedParamsBase");
  CHECK_EQ(klass.returns.at(0).name, "W_prepack");

  OpSchema as_tensor = parse_schema(
      "aten::as_tensor(Tensor(a) data, *, ScalarType? dtype=None, Device? device=None) -> "
      "Tensor(b|a)");
  CHECK_EQ(as_tensor.returns.at(0).alias->before_sets, std::vector<std::string>{"b", "a"});

  OpSchema strings =
      parse_schema(R"s(aten::_test_string_default(Tensor dummy, str a="\"\'\\", str b=", )") -> Tensor)s");
  CHECK_EQ(strings.arguments.at(1).default_text.value_or(""), R"("\"\'\\")");
  CHECK_EQ(strings.arguments.at(2).default_text.value_or(""), R"s(", )")s");

  OpSchema fused = parse_schema("aten::f(Tensor(a!)[] self, *, Tensor(b!)[] out) -> ()");
  CHECK(fused.is_mutable());
  CHECK_FALSE(fused.arguments.at(0).alias->on_container);
  CHECK(fused.arguments.at(1).is_out());
}

TEST_CASE("op_schema: printing tolerates extra blanks in the input") {
  OpSchema schema = parse_schema("  aten::f( Tensor x ,  *,  int[2]  y=[1, 1] )  ->  ( Tensor a ) ");
  CHECK_EQ(schema.to_string(), "aten::f(Tensor x, *, int[2] y=[1, 1]) -> Tensor a");
}

TEST_CASE("op_schema: errors name the reason and the column") {
  CHECK_EQ(parse_error("aten::f(Tensor x) Tensor"),
           "schema: cannot parse schema 'aten::f(Tensor x) Tensor': expected '->' at column 19");
  CHECK_EQ(parse_error("aten::f(Tensr x) -> Tensor"),
           "schema: cannot parse schema 'aten::f(Tensr x) -> Tensor': unknown type 'Tensr' at "
           "column 9");
  CHECK_EQ(parse_error("aten::f(Tensor x -> Tensor"),
           "schema: cannot parse schema 'aten::f(Tensor x -> Tensor': expected ',' or ')' at "
           "column 18");
  CHECK_EQ(parse_error("aten::f(Tensor x) -> (Tensor a, Tensor b"),
           "schema: cannot parse schema 'aten::f(Tensor x) -> (Tensor a, Tensor b': expected ',' "
           "or ')' at column 41");
  CHECK_EQ(parse_error("aten::f(Tensor x)) -> Tensor"),
           "schema: cannot parse schema 'aten::f(Tensor x)) -> Tensor': expected '->' at column 18");
  CHECK_EQ(parse_error("aten::f(Tensor x) -> Tensor y z"),
           "schema: cannot parse schema 'aten::f(Tensor x) -> Tensor y z': unexpected text after "
           "the schema at column 31");
  CHECK_EQ(parse_error(""), "schema: cannot parse schema '': empty schema at column 1");
  CHECK_EQ(parse_error("aten::f(Tensor x) -> Tensor y=1"),
           "schema: cannot parse schema 'aten::f(Tensor x) -> Tensor y=1': default value on a "
           "return at column 30");
  CHECK_EQ(parse_error("aten::f(Tensor x, int y=) -> Tensor"),
           "schema: cannot parse schema 'aten::f(Tensor x, int y=) -> Tensor': expected a default "
           "value at column 25");
  CHECK_EQ(parse_error("aten::f(Tensor) -> Tensor"),
           "schema: cannot parse schema 'aten::f(Tensor) -> Tensor': expected an argument name at "
           "column 15");
  CHECK_EQ(parse_error("aten::f(Tensor x, str s=\"ab) -> Tensor"),
           "schema: cannot parse schema 'aten::f(Tensor x, str s=\"ab) -> Tensor': unterminated "
           "string default at column 25");
  CHECK_EQ(parse_error("aten::f(Tensor[](a)(b) x) -> Tensor"),
           "schema: cannot parse schema 'aten::f(Tensor[](a)(b) x) -> Tensor': misplaced alias "
           "annotation at column 20");
  CHECK_EQ(parse_error("f(Tensor x) -> Tensor"),
           "schema: cannot parse schema 'f(Tensor x) -> Tensor': expected '::' after the "
           "namespace at column 2");
  CHECK_EQ(parse_error("aten::f.default(Tensor x) -> Tensor"),
           "schema: cannot parse schema 'aten::f.default(Tensor x) -> Tensor': overload name "
           "'default' is reserved at column 9");
}

TEST_CASE("op_schema: registry errors name the line; comments and blank lines are skipped") {
  const std::string text = "aten::a(Tensor x) -> Tensor\n\n# a comment\n  \naten::b(Tensor x) -> Tensr\n";
  try {
    SchemaRegistry::parse(text, "s.txt");
    FAIL("no error");
  } catch (const UserError& e) {
    CHECK_EQ(std::string(e.what()),
             "s.txt:5: cannot parse schema 'aten::b(Tensor x) -> Tensr': unknown type 'Tensr' at "
             "column 22");
  }
  SchemaRegistry small = SchemaRegistry::parse(
      "# header\naten::a(Tensor x) -> Tensor\r\naten::a(Tensor y) -> Tensor\naten::a.b(int x) -> "
      "int",
      "s.txt");
  CHECK_EQ(small.size(), 2);
  CHECK_EQ(small.duplicates(), std::vector<std::string>{"aten::a"});
  REQUIRE(small.find("aten.a.default") != nullptr);
  CHECK_EQ(small.find("aten.a.default")->arguments.at(0).name, "x");
  CHECK_EQ(small.find("aten.a.b")->arguments.at(0).type.kind, Kind::Int);
}

TEST_CASE("op_schema: the indexed registry (builtin) finds what the parsed one does, parsing on lookup") {
  const std::string text = read_schema_file();
  const SchemaRegistry indexed = SchemaRegistry::index(text, "aten_schemas_torch2.11.txt");
  CHECK_EQ(indexed.size(), registry().size());
  CHECK(indexed.duplicates().empty());
  for (const OpSchema& schema : registry().all()) {
    const OpSchema* found = indexed.find(schema.target());
    REQUIRE_MESSAGE(found != nullptr, schema.qualified_name());
    CHECK_EQ(found->to_string(), schema.to_string());
    CHECK(indexed.find(schema.qualified_name()) == found);  // parsed once, then the same object
  }
  CHECK_EQ(indexed.all().size(), registry().all().size());
  std::vector<std::string> clamps;
  for (const OpSchema* s : indexed.overloads("aten", "clamp")) clamps.push_back(s->qualified_name());
  CHECK_EQ(clamps, std::vector<std::string>{"aten::clamp", "aten::clamp.Tensor", "aten::clamp.Tensor_out",
                                            "aten::clamp.out"});
  CHECK(indexed.overloads("aten", "clam").empty());
  CHECK(indexed.overloads("aten", "no_such_op").empty());
  CHECK(builtin_schemas().find("aten.addmm.default") != nullptr);

  // A bad line is found when it is looked up (index() is for lists checked already), and named.
  const SchemaRegistry lazy =
      SchemaRegistry::index("aten::a(Tensor x) -> Tensor\naten::b(Tensor x) -> Tensr\n", "s.txt");
  CHECK_EQ(lazy.size(), 2);
  CHECK(lazy.find("aten.a.default") != nullptr);
  try {
    lazy.find("aten::b");
    FAIL("no error");
  } catch (const UserError& e) {
    CHECK_EQ(std::string(e.what()),
             "s.txt:2: cannot parse schema 'aten::b(Tensor x) -> Tensr': unknown type 'Tensr' at column 22");
  }
}

TEST_CASE("op_schema: no prefix of a real schema crashes the parser") {
  const std::vector<std::string> lines = split_lines(read_schema_file());
  size_t parsed = 0, rejected = 0, other = 0;
  for (size_t i = 0; i < 200 && i < lines.size(); ++i) {
    const std::string& line = lines[i];
    for (size_t n = 0; n <= line.size(); ++n) {
      try {
        parse_schema(std::string_view(line).substr(0, n));
        ++parsed;
      } catch (const UserError&) {
        ++rejected;
      } catch (...) {
        ++other;
      }
    }
  }
  CHECK_EQ(other, 0);
  CHECK(parsed >= 200);
  CHECK(rejected > 0);
}

}  // namespace
}  // namespace aotic::ir
