#pragma once

namespace aotic {
/// Printed by `aotic --version` and written into generated files' banners.
inline constexpr const char* kVersion = "0.1.0";
}  // namespace aotic
