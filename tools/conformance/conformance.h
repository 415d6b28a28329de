// The operator conformance suite runner: compiles and runs the one-op programs of
// tests/data/opinfo (made from PyTorch's OpInfo samples by tests/conformance/export_opinfo.py)
// and sorts every sample into one outcome.
//
// A suite directory holds suite.json and ops/<entry>.zip; each zip holds samples.json and, per
// sample, <dtype>_<k>.pt2 (as exported), maybe <dtype>_<k>.core.pt2 (after run_decompositions)
// and <dtype>_<k>.io.safetensors (input_i, output_i from PyTorch). Each program file is one
// Sample here.
//
// Every sample runs in a child process of its own (fork), so a crash or a hang of one op cannot
// take the runner down: it becomes that sample's outcome.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "codegen/compile.h"

namespace aotic::conformance {

enum class Outcome {
  kPass,             // compiled, ran, every output close to PyTorch's
  kWrongResult,      // an output's values differ beyond the dtype's tolerance
  kWrongDtypeShape,  // an output's dtype or shape (or the number of outputs) differs
  kUnsupported,      // aotic refused the program: "unsupported op ..." at compile time
  kError,            // anything else: a load or C++ compile failure, a failed run, a crash, a timeout
};

/// "pass", "wrong_result", "wrong_dtype_shape", "unsupported", "error".
const char* outcome_name(Outcome outcome);
/// The inverse; throws UserError on an unknown name.
Outcome outcome_from_name(const std::string& name);

struct Sample {
  std::string entry;    // the OpInfo entry: "add", "nn.functional.conv2d", "squeeze.multiple"
  std::string program;  // "float32_0.pt2" or "float32_0.core.pt2"
  std::string io;       // "float32_0.io.safetensors"
  std::string dtype;    // the sample's dtype: "float32", "int64", ...
  bool core = false;    // the program after run_decompositions()

  /// "add/float32_0.pt2": unique within a suite.
  std::string key() const { return entry + "/" + program; }
};

/// Which samples to run.
struct Selection {
  std::set<std::string> entries;  // empty: all
  std::set<std::string> dtypes;   // empty: all
  /// The fixed subset CI runs: per entry, its first exportable sample (float32 when it has
  /// one) as exported and, when it differs, after run_decompositions() (not for the in-place and
  /// out= variant entries, which decompose to the functional op).
  bool ci_subset = false;
  bool exported = true;  // programs as exported
  bool core = true;      // programs after run_decompositions()
  int shard = 0;         // with shards > 1: every shards-th sample starting at `shard`
  int shards = 1;
};

struct Suite {
  std::string dir;
  std::string torch_version;  // the PyTorch that exported it
  std::vector<Sample> samples;
  /// Entries and samples of the selection that torch.export could not export (not counted).
  int64_t not_exportable = 0;
  std::set<std::string> entries;  // the selected entries with at least one sample
};

/// Reads suite.json and every selected entry's samples.json. Throws UserError naming the file
/// when the suite is missing or malformed.
Suite load_suite(const std::string& dir, const Selection& selection);

struct RunOptions {
  codegen::ShimMode shim = codegen::ShimMode::kBundled;
  std::string shim_library;    // "" finds the one beside the binary
  int opt_level = 1;           // the generated code is one call per op: -O1 compiles faster
  bool fuse = true;            // false: --no-fuse (every op a libtorch call)
  std::string device = "cpu";  // --device cuda: compiled for and run on the GPU (inputs copied there)
  double timeout_s = 300;      // per sample, compile and run together
  std::string work_dir;        // scratch space; "" is $TMPDIR or /tmp
  bool keep = false;           // keep each sample's scratch directory
  int jobs = 1;                // samples in flight at once
  /// Samples one worker process runs before a fresh one takes over (1: a process per sample).
  /// Reusing workers saves each sample a process start (and on the GPU a CUDA context); a sample
  /// that fails in a reused worker is run again in a fresh one, so outcomes do not depend on it.
  int samples_per_process = 64;
};

struct Result {
  Sample sample;
  Outcome outcome = Outcome::kError;
  std::string message;  // one line: why it is not a pass
  double seconds = 0;
};

/// Compiles and runs one sample in this process and compares its outputs with PyTorch's.
/// Tolerances follow the reference's dtype: float64 1e-7/1e-7, float32 1e-4/1e-5, float16
/// 2e-3/1e-3, bfloat16 1.6e-2/1e-2 (rtol/atol); integers and bool exactly.
Result run_sample(const Suite& suite, const Sample& sample, const RunOptions& options);

/// Runs the samples in `options.jobs` worker processes and returns their results in the order
/// given: a crash or timeout costs its sample alone, and every failure is one seen in a fresh process.
/// `progress` is called as each one finishes.
std::vector<Result> run_samples(
    const Suite& suite, const std::vector<Sample>& samples, const RunOptions& options,
    const std::function<void(const Result&, size_t done, size_t total)>& progress = {});

/// The per-entry table: samples and counts of each outcome, with the first problem's message,
/// then totals, the pass rate and the ops most often reported unsupported.
std::string table(const Suite& suite, const std::vector<Result>& results);

/// One line per sample: "<key> <outcome>" (the expectation file's format), sorted by key.
std::string outcomes_text(const std::vector<Result>& results);
/// Reads that format; throws UserError naming the file and line when malformed.
std::map<std::string, Outcome> read_outcomes(const std::string& path);

}  // namespace aotic::conformance
