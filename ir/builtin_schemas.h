// The operator schemas aotic knows: PyTorch 2.11's full list (ir/data/aten_schemas_torch2.11.txt,
// from torch._C._jit_get_all_schemas()), embedded in the binary at build time.
#pragma once

#include <string_view>

#include "ir/op_schema.h"

namespace aotic::ir {

/// The embedded list's text.
std::string_view builtin_schema_text();
/// Parsed once, on first use.
const SchemaRegistry& builtin_schemas();

}  // namespace aotic::ir
