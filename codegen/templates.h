// The fixed parts of generated files: sections of the real source files under templates/, which
// are embedded into aotic when it is built. A section is the text between a line
// "// aotic-template: NAME" and the next "// aotic-template-end" line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aotic::codegen {

/// The text of section `section` of `templates/<file>` (internal error when it does not exist).
std::string template_section(std::string_view file, std::string_view section);

/// The names of a template file's sections, in file order.
std::vector<std::string> template_sections(std::string_view file);

}  // namespace aotic::codegen
