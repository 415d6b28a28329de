#pragma once

namespace aotic {

/// A file compiled into the binary by tools/embed_file --table.
struct EmbeddedFile {
  const char* name;  // relative path it is written to
  const char* data;
  unsigned long size;
};

}  // namespace aotic
