// Operator schemas in PyTorch's textual grammar ("aten::add.Tensor(Tensor self, Tensor other, *,
// Scalar alpha=1) -> Tensor"): the parser, the printer and a registry that finds a schema by the
// target name torch.export writes into a graph ("aten.add.Tensor").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace aotic::ir {

/// A type in an operator schema ("Tensor", "int[2]", "Tensor?[]", "Dict(str, Tensor)", "t").
struct SchemaType {
  enum class Kind {
    Tensor,
    Int,
    SymInt,
    Float,
    SymFloat,
    Bool,
    SymBool,
    Str,
    Scalar,
    ScalarType,
    Layout,
    Device,
    MemoryFormat,
    Generator,
    Dimname,
    Storage,
    Stream,
    QScheme,
    Complex,
    Any,
    AnyEnumType,
    AnyClassType,
    NoneType,
    /// A type variable: any lower-case name that is not a known type ("t", "t1", "int64_t").
    TypeVar,
    /// "T[]" or "T[N]".
    List,
    /// "T?".
    Optional,
    /// "(T1, T2)".
    Tuple,
    /// "Dict(K, V)".
    Dict,
    /// "Future(T)", "RRef(T)", "Await(T)".
    Future,
    RRef,
    Await,
    /// A TorchScript class, named in full ("__torch__.torch.classes.c10d.ProcessGroup").
    Other,
  };

  Kind kind = Kind::Tensor;
  /// List, Optional, Future, RRef, Await: the one element type; Tuple: the members; Dict: key and
  /// value.
  std::vector<SchemaType> elems;
  /// The N of "int[N]"; only on List.
  std::optional<int64_t> fixed_size;
  /// The spelling of a TypeVar or Other.
  std::string name;

  /// The type as a schema spells it, without alias annotations.
  std::string to_string() const;
  /// Tensor wrapped in any number of lists and optionals: Tensor, Tensor?, Tensor[], Tensor?[].
  bool is_tensor_like() const;
};

/// An alias annotation: "(a!)", "(a)", "(b|a)", "(a -> *)", "(*)".
struct AliasInfo {
  /// The sets before "->" (all of them when there is no arrow); "*" is the wildcard set.
  std::vector<std::string> before_sets;
  /// The sets after "->"; empty when no arrow is written.
  std::vector<std::string> after_sets;
  /// "!": the operator writes to the value.
  bool is_write = false;
  /// Where the annotation is written: false for after the element type ("Tensor(a)[]",
  /// "Tensor(a!)", "t(*)?"), true for after the first list suffix ("t[](a)").
  bool on_container = false;

  /// The annotation with its parentheses, e.g. "(a -> *)".
  std::string to_string() const;
};

/// One argument or return of an operator.
struct SchemaArgument {
  /// Empty for an unnamed return.
  std::string name;
  SchemaType type;
  std::optional<AliasInfo> alias;
  /// The default exactly as written: "1", "None", "[1,1]", "\"mean\"", "1.0000000000000001e-05".
  std::optional<std::string> default_text;
  /// Declared after the "*" marker.
  bool kwarg_only = false;

  /// An out= argument: keyword-only and written to.
  bool is_out() const;
  bool is_write() const { return alias.has_value() && alias->is_write; }
  /// "Tensor(a!) out", "Scalar alpha=1", "Tensor" (an unnamed return).
  std::string to_string() const;
};

/// A parsed operator schema.
struct OpSchema {
  std::string ns;
  std::string name;
  /// Empty for the default overload.
  std::string overload;
  std::vector<SchemaArgument> arguments;
  std::vector<SchemaArgument> returns;
  /// "..." ends the arguments / returns.
  bool is_vararg = false;
  bool is_varret = false;

  /// "aten::add.Tensor", "aten::addmm".
  std::string qualified_name() const;
  /// The name torch.export records: "aten.add.Tensor", "aten.addmm.default".
  std::string target() const;
  /// Whether any argument is written to.
  bool is_mutable() const;
  /// nullptr when there is no argument of that name.
  const SchemaArgument* find_argument(std::string_view name) const;
  /// The schema in canonical spelling; for every line PyTorch prints, the same text.
  std::string to_string() const;
};

/// Parses one schema. `where` starts error messages (e.g. "aten_schemas.txt:12"). Throws
/// UserError "<where>: cannot parse schema '<text>': <reason> at column N" (N counts bytes from 1).
OpSchema parse_schema(std::string_view text, std::string_view where = "schema");

/// All schemas of a list, looked up by export target.
class SchemaRegistry {
 public:
  /// One schema per non-empty line; a line whose first non-blank character is '#' is a comment.
  /// Throws UserError on the first bad line, placed as "<source_name>:<line>". A schema whose
  /// qualified name was already seen is skipped and listed in duplicates().
  static SchemaRegistry parse(std::string_view text, std::string_view source_name);
  /// The same registry, but each schema parsed on its first lookup (all() parses every one): for
  /// a list checked already (the builtin one, which its test parses whole), where parsing all
  /// ~4,000 schemas up front was a third of a compile's front end. `text` must outlive the
  /// registry. Keys are the text before each line's '('.
  static SchemaRegistry index(std::string_view text, std::string_view source_name);

  /// Accepts "torch.ops.aten.addmm.default", "aten.addmm.default", "aten::addmm",
  /// "aten::add.Tensor" and "aten.add.Tensor"; nullptr when no schema has that name.
  const OpSchema* find(std::string_view target) const;
  /// Every overload of `ns`::`name` ("aten", "clamp": clamp, clamp.Tensor, clamp.out, ...), in
  /// file order.
  std::vector<const OpSchema*> overloads(std::string_view ns, std::string_view name) const;
  size_t size() const { return entries_.size(); }
  /// Unique schemas in file order.
  const std::vector<OpSchema>& all() const;
  /// Qualified names of the skipped repeats, in file order.
  const std::vector<std::string>& duplicates() const { return duplicates_; }

 private:
  struct Entry {
    std::string_view line;
    size_t line_number = 0;
    std::string key;  // the qualified name, "aten::add.Tensor"
  };
  const OpSchema& at(size_t i) const;

  std::string source_name_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> by_name_;
  std::vector<std::string> duplicates_;
  // Parsed schemas (sized once, so pointers to them stay valid), and which are parsed yet.
  mutable std::vector<OpSchema> schemas_;
  mutable std::vector<bool> parsed_;
  std::shared_ptr<std::mutex> mutex_ = std::make_shared<std::mutex>();
};

}  // namespace aotic::ir
