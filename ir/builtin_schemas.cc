#include "ir/builtin_schemas.h"

namespace aotic::ir {

extern const char kAtenSchemasText[];
extern const unsigned long kAtenSchemasText_size;

std::string_view builtin_schema_text() { return std::string_view(kAtenSchemasText, kAtenSchemasText_size); }

const SchemaRegistry& builtin_schemas() {
  static const SchemaRegistry registry =
      SchemaRegistry::index(builtin_schema_text(), "aten_schemas_torch2.11.txt");
  return registry;
}

}  // namespace aotic::ir
