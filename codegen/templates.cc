#include "codegen/templates.h"

#include "codegen/embedded_file.h"
#include "ir/error.h"

namespace aotic::codegen {

extern const EmbeddedFile kTemplateFiles[];
extern const unsigned long kTemplateFiles_count;

namespace {

constexpr std::string_view kBegin = "// aotic-template: ";
constexpr std::string_view kEnd = "// aotic-template-end";

std::string_view file_text(std::string_view file) {
  for (unsigned long i = 0; i < kTemplateFiles_count; ++i) {
    if (file == kTemplateFiles[i].name) return {kTemplateFiles[i].data, kTemplateFiles[i].size};
  }
  AOTIC_CHECK(false, "no template file templates/" + std::string(file));
  return {};
}

/// Calls `visit(name, text)` for each section.
template <typename Visit>
void for_each_section(std::string_view text, Visit visit) {
  size_t pos = 0;
  while ((pos = text.find(kBegin, pos)) != std::string_view::npos) {
    const size_t name_end = text.find('\n', pos);
    AOTIC_CHECK(name_end != std::string_view::npos, "unterminated template section");
    const std::string_view name = text.substr(pos + kBegin.size(), name_end - pos - kBegin.size());
    const size_t end = text.find(kEnd, name_end);
    AOTIC_CHECK(end != std::string_view::npos, "template section without its end: " + std::string(name));
    visit(name, text.substr(name_end + 1, end - name_end - 1));
    pos = end + kEnd.size();
  }
}

}  // namespace

std::string template_section(std::string_view file, std::string_view section) {
  std::string out;
  bool found = false;
  for_each_section(file_text(file), [&](std::string_view name, std::string_view text) {
    if (name == section) {
      out = std::string(text);
      found = true;
    }
  });
  AOTIC_CHECK(found, "no section " + std::string(section) + " in templates/" + std::string(file));
  return out;
}

std::vector<std::string> template_sections(std::string_view file) {
  std::vector<std::string> names;
  for_each_section(file_text(file),
                   [&](std::string_view name, std::string_view) { names.emplace_back(name); });
  return names;
}

}  // namespace aotic::codegen
