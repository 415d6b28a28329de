// The aotic command line.
//
// Exit codes: 0 success; 1 bad input (the message names the file and place); 2 bad usage;
// 3 internal error (a bug in aotic).
#include <cstdio>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "ir/error.h"
#include "ir/load.h"
#include "tools/inspect.h"
#include "tools/version.h"

namespace {

constexpr const char* kUsage =
    "usage: aotic <command> [options]\n"
    "\n"
    "commands:\n"
    "  inspect MODEL [--weights FILE.safetensors]\n"
    "      Summarise an export: inputs and outputs with shapes and symbolic ranges, op\n"
    "      histogram, weights, schema version. MODEL is a .pt2 archive, an unpacked export\n"
    "      directory, or a model.json (weights from --weights or a data/ folder beside it).\n"
    "\n"
    "  aotic --version | --help\n";

struct UsageError {
  std::string message;
};

int inspect(const std::vector<std::string>& args) {
  aotic::ir::LoadOptions options;
  std::string model;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--weights") {
      if (i + 1 == args.size()) throw UsageError{"--weights needs a file"};
      options.weights_path = args[++i];
    } else if (args[i].rfind("--weights=", 0) == 0) {
      options.weights_path = args[i].substr(10);
    } else if (!args[i].empty() && args[i][0] == '-') {
      throw UsageError{"inspect: unknown option '" + args[i] + "'"};
    } else if (model.empty()) {
      model = args[i];
    } else {
      throw UsageError{"inspect: more than one MODEL given"};
    }
  }
  if (model.empty()) throw UsageError{"inspect: MODEL is missing"};
  aotic::ir::Program program = aotic::ir::load_program(model, options);
  std::cout << aotic::inspect_program(program);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::cout << kUsage;
      return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
      std::cout << "aotic " << aotic::kVersion << "\n";
      return 0;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "inspect") return inspect(rest);
    throw UsageError{"unknown command '" + args[0] + "'"};
  } catch (const UsageError& e) {
    std::cerr << "aotic: " << e.message << "\n" << kUsage;
    return 2;
  } catch (const aotic::UserError& e) {
    std::cerr << "aotic: error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "aotic: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "aotic: internal error: " << e.what() << "\n";
    return 3;
  }
}
