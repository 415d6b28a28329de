// The C++ header for services linking one model.so: a class named after the model, derived from
// aotic::ModelApi (aotic/model_api.h), with the model's input and output names and shapes as
// constants. Written by `aotic compile --header FILE --class-name NAME` (the aotic_model rule).
#pragma once

#include <string>

#include "ir/graph.h"

namespace aotic::codegen {

/// The header text. `class_name` must be a C++ identifier (UserError otherwise).
std::string emit_model_header(const ir::Program& program, const std::string& class_name,
                              const std::string& source_name);

}  // namespace aotic::codegen
