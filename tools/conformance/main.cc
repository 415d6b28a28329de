// `conformance`: runs the operator conformance suite and prints its table.
//
//   bazel run //tools/conformance -- [--ci] [--ops add,sin] [--jobs N] [--table FILE] ...
//
// See kUsage. Exit status: 0, or 1 when --expect found a sample whose outcome changed, or 2 on a
// bad command line or suite.
#include <unistd.h>

#include <fmt/format.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "ir/error.h"
#include "tools/conformance/conformance.h"

namespace {

namespace fs = std::filesystem;
using aotic::conformance::Outcome;

const char* const kUsage =
    "usage: conformance [--suite DIR] [--ci] [--ops E1,E2] [--dtypes D1,D2] [--variant both|export|core]\n"
    "                   [--jobs N] [--per-process N] [--shard I/N] [--timeout S] [--opt 0-3] [--no-fuse]\n"
    "                   [--shim bundled|host] [--shim-lib PATH] [--device cpu|cuda]"
    "\n"
    "                   [--table FILE] [--results FILE] [--expect FILE] [--update-expected FILE] [--keep] "
    "[--quiet] [--list]\n"
    "  Compiles and runs the one-op programs of the suite (default tests/data/opinfo) and prints one row\n"
    "  per OpInfo entry: samples, pass, wrong_result, wrong_dtype_shape, unsupported, error, and the\n"
    "  first problem; then totals, the pass rate and the ops most often unsupported.\n"
    "  --ci runs the fixed CI subset (per entry its first float32 sample, both variants). --table and\n"
    "  --results write the table and one line per sample (key, outcome, seconds, message). --expect\n"
    "  compares each outcome with an expectation file ('<entry>/<program> <outcome>' lines) and exits 1\n"
    "  on any difference; --update-expected writes that file. --list prints the selected samples only.\n"
    "  --jobs worker processes run the samples, each up to --per-process of them (default 64; 1 gives\n"
    "  every sample its own process); a sample that fails after others ran in its worker is run again\n"
    "  in a fresh one, and that outcome is reported.\n";

std::set<std::string> split(const std::string& list) {
  std::set<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

std::string default_suite() {
  std::vector<std::string> candidates = {"tests/data/opinfo"};
  if (const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    candidates.insert(candidates.begin(), std::string(ws) + "/tests/data/opinfo");
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  candidates.push_back(
      (exe.parent_path() / (exe.filename().string() + ".runfiles") / "aotic/tests/data/opinfo").string());
  for (const std::string& c : candidates) {
    if (fs::exists(fs::path(c) / "suite.json", ec)) return c;
  }
  return "tests/data/opinfo";
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) aotic::user_error("{}: cannot write", path);
}

int run(const std::vector<std::string>& args) {
  aotic::conformance::Selection selection;
  aotic::conformance::RunOptions options;
  options.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string suite_dir, table_path, results_path, expect_path, update_path;
  bool quiet = false, list = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    auto number = [&](const std::string& v) {
      try {
        size_t used = 0;
        double d = std::stod(v, &used);
        if (used != v.size()) throw std::invalid_argument("");
        return d;
      } catch (const std::exception&) {
        throw std::invalid_argument(a + ": not a number: " + v);
      }
    };
    if (a == "--suite")
      suite_dir = value();
    else if (a == "--ci")
      selection.ci_subset = true;
    else if (a == "--ops")
      selection.entries = split(value());
    else if (a == "--dtypes")
      selection.dtypes = split(value());
    else if (a == "--variant") {
      const std::string v = value();
      if (v != "both" && v != "export" && v != "core")
        throw std::invalid_argument("--variant: both, export or core");
      selection.exported = v != "core";
      selection.core = v != "export";
    } else if (a == "--jobs")
      options.jobs = std::max(1, static_cast<int>(number(value())));
    else if (a == "--shard") {
      const std::string v = value();
      const size_t slash = v.find('/');
      if (slash == std::string::npos) throw std::invalid_argument("--shard: I/N");
      selection.shard = static_cast<int>(number(v.substr(0, slash)));
      selection.shards = static_cast<int>(number(v.substr(slash + 1)));
      if (selection.shards < 1 || selection.shard < 0 || selection.shard >= selection.shards)
        throw std::invalid_argument("--shard: I/N with 0 <= I < N");
    } else if (a == "--per-process")
      options.samples_per_process = std::max(1, static_cast<int>(number(value())));
    else if (a == "--timeout")
      options.timeout_s = number(value());
    else if (a == "--opt")
      options.opt_level = static_cast<int>(number(value()));
    else if (a == "--no-fuse")
      options.fuse = false;
    else if (a == "--device") {
      options.device = value();
      if (options.device != "cpu" && options.device != "cuda")
        throw std::invalid_argument("--device: cpu or cuda");
    } else if (a == "--shim") {
      const std::string v = value();
      if (v != "bundled" && v != "host") throw std::invalid_argument("--shim: bundled or host");
      options.shim = v == "host" ? aotic::codegen::ShimMode::kHost : aotic::codegen::ShimMode::kBundled;
    } else if (a == "--shim-lib")
      options.shim_library = value();
    else if (a == "--table")
      table_path = value();
    else if (a == "--results")
      results_path = value();
    else if (a == "--expect")
      expect_path = value();
    else if (a == "--update-expected")
      update_path = value();
    else if (a == "--keep")
      options.keep = true;
    else if (a == "--quiet")
      quiet = true;
    else if (a == "--list")
      list = true;
    else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else
      throw std::invalid_argument("unknown option " + a);
  }
  if (suite_dir.empty()) suite_dir = default_suite();
  if (!options.shim_library.empty()) options.shim_library = fs::absolute(options.shim_library).string();
  const aotic::conformance::Suite suite = aotic::conformance::load_suite(suite_dir, selection);
  if (list) {
    for (const auto& sample : suite.samples) std::cout << sample.key() << "\n";
    return 0;
  }
  std::cerr << fmt::format("conformance: {} samples of {} entries from {}, {} jobs\n", suite.samples.size(),
                           suite.entries.size(), suite_dir, options.jobs);
  const auto results = aotic::conformance::run_samples(
      suite, suite.samples, options, [&](const aotic::conformance::Result& r, size_t done, size_t total) {
        if (quiet) return;
        if (r.outcome != Outcome::kPass || done % 100 == 0 || done == total) {
          std::cerr << fmt::format("[{}/{}] {} {} ({:.1f} s){}{}\n", done, total, r.sample.key(),
                                   aotic::conformance::outcome_name(r.outcome), r.seconds,
                                   r.message.empty() ? "" : ": ", r.message.substr(0, 200));
        }
      });
  const std::string text = aotic::conformance::table(suite, results);
  std::cout << text;
  if (!table_path.empty()) write_file(table_path, text);
  if (!results_path.empty()) {
    std::string lines;
    for (const auto& r : results) {
      lines += fmt::format("{}\t{}\t{:.2f}\t{}\n", r.sample.key(),
                           aotic::conformance::outcome_name(r.outcome), r.seconds, r.message);
    }
    write_file(results_path, lines);
  }
  if (!update_path.empty()) {
    write_file(update_path,
               "# Expected outcome of each sample of the conformance suite's CI subset; regenerate with\n"
               "#   bazel run //tools/conformance -- --ci --update-expected "
               "$PWD/tests/conformance/expected_ci.txt\n" +
                   aotic::conformance::outcomes_text(results));
    std::cerr << "wrote " << update_path << "\n";
  }
  if (expect_path.empty()) return 0;
  const auto expected = aotic::conformance::read_outcomes(expect_path);
  size_t differences = 0;
  for (const auto& r : results) {
    auto it = expected.find(r.sample.key());
    if (it != expected.end() && it->second == r.outcome) continue;
    ++differences;
    std::cout << fmt::format("changed: {}: expected {}, got {}{}{}\n", r.sample.key(),
                             it == expected.end() ? "no entry" : aotic::conformance::outcome_name(it->second),
                             aotic::conformance::outcome_name(r.outcome), r.message.empty() ? "" : ": ",
                             r.message);
  }
  std::cout << fmt::format("expectations: {} of {} samples as expected\n", results.size() - differences,
                           results.size());
  return differences == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::invalid_argument& e) {
    std::cerr << "conformance: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "conformance: " << e.what() << "\n";
    return 2;
  }
}
