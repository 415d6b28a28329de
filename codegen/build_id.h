// The build ID of a model.so (the ELF note that debuggers, perf and crash reporters find its
// symbols by), computed by aotic from what the link is made of and given to the linker as
// `--build-id=0x...`. Linkers otherwise hash their whole output: gold's SHA-1 over resnet18's
// 47 MB of embedded weights took 60 ms of a 0.55 s compile. The same inputs give the same ID, so
// a rebuild stays byte-identical.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace aotic::codegen {

class BuildId {
 public:
  BuildId();
  ~BuildId();
  BuildId(const BuildId&) = delete;
  BuildId& operator=(const BuildId&) = delete;

  /// Adds one input: its length, then its bytes (so that "ab"+"c" and "a"+"bc" differ).
  void add(std::string_view bytes);
  /// Adds a file's bytes; false when it cannot be read (nothing is added then).
  bool add_file(const std::filesystem::path& path);
  /// 32 hex digits (128 bits), for `-Wl,--build-id=0x<hex>`.
  std::string hex() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace aotic::codegen
