#include "tools/conformance/conformance.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <list>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "ir/archive.h"
#include "ir/error.h"
#include "ir/load.h"
#include "ir/safetensors.h"
#include "tools/runner/runner.h"

namespace aotic::conformance {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kOutcomeNames[] = {"pass", "wrong_result", "wrong_dtype_shape", "unsupported", "error"};
constexpr size_t kOutcomes = std::size(kOutcomeNames);

/// Messages go into one-line tables and a pipe: newlines and tabs become spaces, long ones are cut.
std::string one_line(std::string text, size_t limit = 600) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > limit) text = text.substr(0, limit) + "...";
  return text;
}

nlohmann::json read_json(const ir::Archive& archive, const std::string& entry) {
  try {
    return nlohmann::json::parse(archive.read_text(entry, uint64_t{1} << 26));
  } catch (const nlohmann::json::exception& e) {
    user_error("{}: {}: not valid JSON: {}", archive.path(), entry, e.what());
  }
}

std::string string_field(const nlohmann::json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) user_error("{}: missing string field '{}'", where, key);
  return it->get<std::string>();
}

struct Tolerance {
  double rtol, atol;
};

Tolerance tolerance_for(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kFloat64:
      return {1e-7, 1e-7};
    case ir::DType::kFloat16:
      return {2e-3, 1e-3};
    case ir::DType::kBFloat16:
      return {1.6e-2, 1e-2};
    default:
      return {1e-4, 1e-5};  // float32; integers and bool compare exactly whatever the tolerance
  }
}

void extract(const ir::Archive& zip, const std::string& entry, const fs::path& to) {
  std::optional<uint64_t> size = zip.entry_size(entry);
  if (!size) user_error("{}: missing entry '{}'", zip.path(), entry);
  std::vector<uint8_t> bytes(*size);
  zip.read_into(entry, bytes.data(), *size);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) user_error("{}: cannot write", to.string());
}

std::string scratch_base(const RunOptions& options) {
  if (!options.work_dir.empty()) return options.work_dir;
  if (const char* tmp = std::getenv("TMPDIR")) return tmp;
  return "/tmp";
}

/// Eigenvectors and singular vectors are defined up to sign: per OpInfo entry, which outputs hold
/// them (the first decides the signs, a second follows: U's and V's k-th vectors flip together),
/// and whether along columns (a matrix's last dimension indexes the vectors) or rows.
struct SignFreeOutput {
  size_t output;
  bool columns;
};
std::vector<SignFreeOutput> sign_free_outputs(const std::string& entry) {
  if (entry == "linalg.eigh") return {{1, true}};
  if (entry == "linalg.svd") return {{0, true}, {2, false}};
  if (entry == "svd" || entry == "svd_lowrank" || entry == "pca_lowrank") return {{0, true}, {2, true}};
  return {};
}

/// Per batch, which vectors were negated.
using Flips = std::vector<std::vector<char>>;

/// Flips each vector of `got` whose sign disagrees with `want`'s at the reference's largest
/// element, recording the flips; with `given` (the flips of the paired output: U's for V), vector k
/// takes given's flip k instead, so U and V are negated together (U S V^H stays what it was).
template <typename T>
void align_signs(T* got, const T* want, const std::vector<int64_t>& shape, bool columns, const Flips* given,
                 Flips* flips) {
  if (shape.size() < 2) return;
  const int64_t rows = shape[shape.size() - 2], cols = shape[shape.size() - 1];
  int64_t batches = 1;
  for (size_t d = 0; d + 2 < shape.size(); ++d) batches *= shape[d];
  const int64_t vectors = columns ? cols : rows, length = columns ? rows : cols;
  flips->assign(static_cast<size_t>(batches), {});
  for (int64_t b = 0; b < batches; ++b) {
    for (int64_t v = 0; v < vectors; ++v) {
      auto at = [&](int64_t i) { return b * rows * cols + (columns ? i * cols + v : v * cols + i); };
      bool flip;
      if (given != nullptr && static_cast<size_t>(b) < given->size() &&
          static_cast<size_t>(v) < (*given)[static_cast<size_t>(b)].size()) {
        flip = (*given)[static_cast<size_t>(b)][static_cast<size_t>(v)] != 0;
      } else {
        int64_t largest = 0;  // the reference's largest element of this vector decides its sign
        for (int64_t i = 1; i < length; ++i) {
          if (std::abs(want[at(i)]) > std::abs(want[at(largest)])) largest = i;
        }
        flip = (want[at(largest)] < 0) != (got[at(largest)] < 0);
      }
      (*flips)[static_cast<size_t>(b)].push_back(flip ? 1 : 0);
      if (!flip) continue;
      for (int64_t i = 0; i < length; ++i) got[at(i)] = -got[at(i)];
    }
  }
}

/// `got` with each eigen- or singular vector's sign flipped to agree with `want`'s (or as `given`
/// says); the flips made in `flips`.
void align_vector_signs(runner::HostTensor& got, const runner::HostTensor& want, bool columns,
                        const Flips* given, Flips* flips) {
  if (got.dtype != want.dtype || got.shape != want.shape || got.data.size() != want.data.size()) return;
  if (got.dtype == ir::DType::kFloat32) {
    align_signs(reinterpret_cast<float*>(got.data.data()), reinterpret_cast<const float*>(want.data.data()),
                got.shape, columns, given, flips);
  } else if (got.dtype == ir::DType::kFloat64) {
    align_signs(reinterpret_cast<double*>(got.data.data()), reinterpret_cast<const double*>(want.data.data()),
                got.shape, columns, given, flips);
  }
}

/// The first node of `graph` that draws random numbers, as "node 'x' (aten.op.overload)", or "":
/// its outputs differ from run to run (and from PyTorch's), whatever the compiler does.
std::string random_node(const ir::Graph& graph) {
  static const std::set<std::string> kRandom = {
      "rand",       "rand_like",  "randn",       "randn_like", "randint",  "randint_like",    "randperm",
      "bernoulli",  "bernoulli_", "normal",      "normal_",    "uniform_", "multinomial",     "exponential_",
      "geometric_", "cauchy_",    "log_normal_", "random_",    "poisson",  "rrelu_with_noise"};
  for (const ir::Node& node : graph.nodes) {
    const std::string op = node.op_name();  // "aten.name.overload"
    if (op.rfind("aten.", 0) != 0) continue;
    const size_t dot = op.find('.', 5);  // before the overload
    const std::string name = op.substr(5, dot == std::string::npos ? std::string::npos : dot - 5);
    bool random = kRandom.count(name) != 0;
    auto number = [&](const char* argument) {
      const ir::NamedArgument* a = node.find_input(argument);
      if (a == nullptr) return 0.0;
      if (a->arg.kind == ir::ArgKind::kFloat) return a->arg.float_value;
      if (a->arg.kind == ir::ArgKind::kInt) return static_cast<double>(a->arg.int_value);
      return 0.0;
    };
    auto training = [&] {
      const ir::NamedArgument* t = node.find_input("train");
      return t == nullptr || t->arg.kind != ir::ArgKind::kBool || t->arg.bool_value;
    };
    if (name == "native_dropout" || name == "dropout" || name == "feature_dropout" ||
        name == "alpha_dropout" || name == "feature_alpha_dropout")
      random = training() && number("p") > 0;
    if (name.find("scaled_dot_product") != std::string::npos) random = number("dropout_p") > 0;
    if (random) return fmt::format("node '{}' ({})", node.name, op);
  }
  return "";
}

Result classify_run(const Sample& sample, const fs::path& dir, const RunOptions& options) {
  Result result{sample, Outcome::kError, "", 0};
  ir::Program program;
  try {
    program = ir::load_program((dir / sample.program).string());
  } catch (const std::exception& e) {
    result.message = std::string("load: ") + e.what();
    if (result.message.find("unsupported") != std::string::npos) result.outcome = Outcome::kUnsupported;
    return result;
  }
  codegen::CompileOptions compile;
  compile.output = (dir / "model.so").string();
  compile.opt_level = options.opt_level;
  if (!options.fuse) compile.disabled_passes.insert("fuse_kernels");
  compile.shim = options.shim;
  compile.shim_library = options.shim_library;
  compile.device = options.device;
  compile.source_name = sample.program;
  try {
    codegen::compile_model(program, compile);
  } catch (const std::exception& e) {
    result.message = e.what();
    if (result.message.find("unsupported op") != std::string::npos) {
      result.outcome = Outcome::kUnsupported;
    } else {
      result.message = "compile: " + result.message;
    }
    return result;
  }
  std::vector<runner::HostTensor> outputs;
  const std::string io = (dir / sample.io).string();
  size_t num_outputs = 0;
  try {
    runner::LoadedModel model(compile.output);
    num_outputs = model.num_outputs();
    outputs = model.run(runner::read_inputs(io, model));
  } catch (const std::exception& e) {
    result.message = std::string("run: ") + e.what();
    return result;
  }
  const ir::SafetensorsFile reference = ir::SafetensorsFile::open(io);
  size_t expected = 0;
  while (reference.find(fmt::format("output_{}", expected)) != nullptr) ++expected;
  if (expected != num_outputs || outputs.size() != num_outputs) {
    result.outcome = Outcome::kWrongDtypeShape;
    result.message = fmt::format("{} outputs, PyTorch gave {}", outputs.size(), expected);
    return result;
  }
  result.outcome = Outcome::kPass;
  Flips first_flips;  // outputs are compared in order: U (0) before V (2)
  for (size_t i = 0; i < outputs.size(); ++i) {
    const runner::HostTensor want =
        runner::read_tensor(reference, *reference.find(fmt::format("output_{}", i)));
    // The first sign-free output (U, or eigh's vectors) decides; a second (V) follows its flips.
    const std::vector<SignFreeOutput> sign_free = sign_free_outputs(sample.entry);
    for (size_t k = 0; k < sign_free.size(); ++k) {
      if (sign_free[k].output != i) continue;
      Flips made;
      align_vector_signs(outputs[i], want, sign_free[k].columns, k == 0 ? nullptr : &first_flips, &made);
      if (k == 0) first_flips = std::move(made);
    }
    const Tolerance tol = tolerance_for(want.dtype);
    const runner::Comparison c = runner::compare(want.name, outputs[i], want, tol.rtol, tol.atol);
    if (c.verdict == runner::Comparison::Verdict::kClose) continue;
    const Outcome outcome = c.verdict == runner::Comparison::Verdict::kShapeOrDtype
                                ? Outcome::kWrongDtypeShape
                                : Outcome::kWrongResult;
    if (result.outcome == Outcome::kPass || outcome == Outcome::kWrongDtypeShape) {
      result.outcome = outcome;
      result.message = c.line;
    }
  }
  if (result.outcome == Outcome::kWrongResult) {
    // Said first: no compiler can match a reference drawn from another run's random numbers.
    const std::string random = random_node(program.graph);
    if (!random.empty()) result.message = fmt::format("{} draws random numbers: {}", random, result.message);
  }
  return result;
}

/// Writes all of `text` to `fd`; false when the reader is gone.
bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

/// A worker process. It reads sample indices, one per line, from `in`, runs each and writes
/// "<index>\t<outcome>\t<message>\n" to `out`. It leaves when `in` closes and after a sample
/// that did not pass: what failed may be its own state (a CUDA context a kernel broke, say).
[[noreturn]] void worker_main(const Suite& suite, const std::vector<Sample>& samples,
                              const RunOptions& options, int in, int out) {
  setpgid(0, 0);  // its compiler processes die with it on a timeout
  const int null = open("/dev/null", O_WRONLY);
  if (null >= 0) {
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
  }
  for (;;) {
    std::string line;
    char c = 0;
    ssize_t n = 0;
    while ((n = read(in, &c, 1)) == 1 || (n < 0 && errno == EINTR)) {
      if (n == 1 && c == '\n') break;
      if (n == 1) line += c;
    }
    if (n != 1) break;  // the parent closed the pipe: no more work
    const size_t index = std::strtoull(line.c_str(), nullptr, 10);
    if (index >= samples.size()) break;
    const Result r = run_sample(suite, samples[index], options);
    if (!write_all(out, fmt::format("{}\t{}\t{}\n", index, static_cast<int>(r.outcome), one_line(r.message))))
      break;
    if (r.outcome != Outcome::kPass) break;
  }
  close(out);
  _exit(0);
}

struct Worker {
  pid_t pid = -1;
  int to = -1;    // sample indices to the worker; -1 once closed: given no more work, it leaves once idle
  int from = -1;  // results from it
  std::string received;
  std::optional<size_t> current;  // the sample in flight
  Clock::time_point start;
  size_t served = 0;  // samples it finished
  bool timed_out = false;
};

/// The message for a sample whose worker ended without reporting it.
std::string lost_sample_message(const Worker& worker, int status) {
  if (worker.timed_out) return "timed out";
  if (WIFSIGNALED(status))
    return fmt::format("crashed: signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("child exited with status {} and no result", WEXITSTATUS(status));
}

}  // namespace

const char* outcome_name(Outcome outcome) { return kOutcomeNames[static_cast<size_t>(outcome)]; }

Outcome outcome_from_name(const std::string& name) {
  for (size_t i = 0; i < kOutcomes; ++i) {
    if (name == kOutcomeNames[i]) return static_cast<Outcome>(i);
  }
  user_error("unknown outcome '{}'", name);
}

Suite load_suite(const std::string& dir, const Selection& selection) {
  Suite suite;
  suite.dir = dir;
  const fs::path suite_json = fs::path(dir) / "suite.json";
  std::ifstream in(suite_json);
  if (!in) user_error("{}: cannot read (is {} a conformance suite?)", suite_json.string(), dir);
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    user_error("{}: not valid JSON: {}", suite_json.string(), e.what());
  }
  suite.torch_version = meta.value("torch", std::string("?"));
  std::vector<std::string> entries;
  if (meta.contains("entries") && meta["entries"].is_object()) {
    for (const auto& [name, info] : meta["entries"].items()) entries.push_back(name);
  }
  for (const std::string& name : selection.entries) {
    if (std::find(entries.begin(), entries.end(), name) == entries.end()) {
      user_error("{}: no entry '{}'", suite_json.string(), name);
    }
  }
  std::vector<Sample> all;
  for (const std::string& name : entries) {
    if (!selection.entries.empty() && selection.entries.count(name) == 0) continue;
    const fs::path zip_path = fs::path(dir) / "ops" / (name + ".zip");
    std::error_code ec;
    if (!fs::exists(zip_path, ec)) {  // no exportable sample at all
      for (const auto& [status, count] : meta["entries"][name]["samples"].items()) {
        if (status == "not_exportable" && count.is_number_integer())
          suite.not_exportable += count.get<int64_t>();
      }
      continue;
    }
    auto zip = ir::Archive::open_zip(zip_path.string());
    const nlohmann::json samples = read_json(*zip, "samples.json");
    const std::string where = zip_path.string() + ": samples.json";
    if (!samples.contains("samples") || !samples["samples"].is_array())
      user_error("{}: no samples list", where);
    // In-place and out= variant entries: in CI only as exported (decomposed, they are the
    // functional op again).
    const bool variant_entry = samples.value("kind", std::string("functional")) != "functional";
    std::vector<Sample> picked;
    std::vector<Sample> first_float;
    std::vector<Sample> first_any;
    for (const nlohmann::json& s : samples["samples"]) {
      const std::string dtype = string_field(s, "dtype", where);
      const std::string status = string_field(s, "status", where);
      if (!selection.dtypes.empty() && selection.dtypes.count(dtype) == 0) continue;
      if (status == "not_exportable") ++suite.not_exportable;
      if (status != "ok") continue;
      const std::string id = string_field(s, "id", where);
      std::vector<Sample> variants;
      for (const nlohmann::json& file : s.value("files", nlohmann::json::array())) {
        if (!file.is_string()) user_error("{}: sample '{}': a file name is not a string", where, id);
        Sample sample{name, file.get<std::string>(), id + ".io.safetensors", dtype, false};
        sample.core =
            sample.program.size() > 9 && sample.program.rfind(".core.pt2") == sample.program.size() - 9;
        if (sample.core ? !selection.core : !selection.exported) continue;
        if (sample.core && variant_entry && selection.ci_subset) continue;
        variants.push_back(sample);
      }
      if (selection.ci_subset) {
        if (first_any.empty()) first_any = variants;
        if (first_float.empty() && dtype == "float32") first_float = variants;
        continue;
      }
      picked.insert(picked.end(), variants.begin(), variants.end());
    }
    if (selection.ci_subset) picked = first_float.empty() ? first_any : first_float;
    if (!picked.empty()) suite.entries.insert(name);
    all.insert(all.end(), picked.begin(), picked.end());
  }
  std::sort(all.begin(), all.end(), [](const Sample& a, const Sample& b) { return a.key() < b.key(); });
  for (size_t i = 0; i < all.size(); ++i) {
    if (selection.shards <= 1 ||
        static_cast<int>(i % static_cast<size_t>(selection.shards)) == selection.shard) {
      suite.samples.push_back(all[i]);
    }
  }
  return suite;
}

Result run_sample(const Suite& suite, const Sample& sample, const RunOptions& options) {
  const auto start = Clock::now();
  std::string templ = scratch_base(options) + "/aotic-conformance-XXXXXX";
  Result result{sample, Outcome::kError, "", 0};
  if (mkdtemp(templ.data()) == nullptr) {
    result.message = fmt::format("cannot make a scratch directory under {}", scratch_base(options));
    return result;
  }
  const fs::path dir(templ);
  try {
    auto zip = ir::Archive::open_zip((fs::path(suite.dir) / "ops" / (sample.entry + ".zip")).string());
    extract(*zip, sample.program, dir / sample.program);
    extract(*zip, sample.io, dir / sample.io);
    result = classify_run(sample, dir, options);
  } catch (const std::exception& e) {
    result.message = e.what();
  }
  // Messages name the scratch copy: name the sample's file alone.
  for (size_t at; (at = result.message.find(dir.string() + "/")) != std::string::npos;) {
    result.message.erase(at, dir.string().size() + 1);
  }
  result.message = one_line(result.message);
  std::error_code ec;
  if (!options.keep) fs::remove_all(dir, ec);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

std::vector<Result> run_samples(const Suite& suite, const std::vector<Sample>& samples,
                                const RunOptions& options,
                                const std::function<void(const Result&, size_t, size_t)>& progress) {
  std::vector<Result> results(samples.size());
  if (options.shim == codegen::ShimMode::kBundled) {
    // Loaded once here, the shim's libtorch is mapped in every worker: a sample's model.so then
    // loads in milliseconds instead of each worker loading libtorch again.
    const std::string shim =
        options.shim_library.empty() ? codegen::find_shim_library() : options.shim_library;
    if (dlopen(shim.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
      user_error("{}: cannot load: {}", shim, dlerror());
    }
  }
  // A worker that died is seen by waitpid, not by a signal here; restored on return, and in the
  // workers (and the compilers they start) at once.
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &previous);
  const size_t jobs = static_cast<size_t>(std::max(1, options.jobs));
  const size_t per_worker = static_cast<size_t>(std::max(1, options.samples_per_process));
  std::deque<size_t> pending;
  for (size_t i = 0; i < samples.size(); ++i) pending.push_back(i);
  // A sample that did not pass after others ran in its worker runs again in a fresh one: the
  // outcome reported is always that of a process that ran nothing before it, or a pass.
  std::vector<bool> isolate(samples.size(), false);
  std::list<Worker> workers;
  size_t done = 0;

  auto report = [&](size_t index, Outcome outcome, std::string message, const Worker& w) {
    results[index] = Result{samples[index], outcome, std::move(message),
                            std::chrono::duration<double>(Clock::now() - w.start).count()};
    ++done;
    if (progress) progress(results[index], done, samples.size());
  };
  auto dispatch = [&](Worker& w, size_t index) {
    w.current = index;
    w.start = Clock::now();
    write_all(w.to, fmt::format("{}\n", index));  // a dead worker is reaped below
  };
  auto spawn = [&](size_t index) {
    int to[2], from[2];
    if (pipe(to) != 0) user_error("cannot make a pipe: {}", std::strerror(errno));
    if (pipe(from) != 0) {
      const int error = errno;
      close(to[0]);
      close(to[1]);
      user_error("cannot make a pipe: {}", std::strerror(error));
    }
    const pid_t pid = fork();
    if (pid < 0) {
      const int error = errno;
      for (int fd : {to[0], to[1], from[0], from[1]}) close(fd);
      user_error("cannot fork: {}", std::strerror(error));
    }
    if (pid == 0) {
      signal(SIGPIPE, SIG_DFL);
      for (const Worker& other : workers) {  // so that closing a pipe here ends only its worker
        if (other.to >= 0) close(other.to);
        if (other.from >= 0) close(other.from);
      }
      close(to[1]);
      close(from[0]);
      worker_main(suite, samples, options, to[0], from[1]);
    }
    close(to[0]);
    close(from[1]);
    fcntl(from[0], F_SETFL, O_NONBLOCK);
    setpgid(pid, pid);
    Worker& w = workers.emplace_back();
    w.pid = pid;
    w.to = to[1];
    w.from = from[0];
    dispatch(w, index);
  };
  auto retire = [](Worker& w) {
    if (w.to < 0) return;
    close(w.to);
    w.to = -1;
  };
  auto take_lines = [&](Worker& w) {
    for (size_t newline; (newline = w.received.find('\n')) != std::string::npos;) {
      const std::string line = w.received.substr(0, newline);
      w.received.erase(0, newline + 1);
      const size_t tab1 = line.find('\t');
      const size_t tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
      if (tab2 == std::string::npos || !w.current) continue;
      const size_t index = *w.current;
      const int code = std::atoi(line.substr(tab1 + 1, tab2 - tab1 - 1).c_str());
      const Outcome outcome =
          code >= 0 && static_cast<size_t>(code) < kOutcomes ? static_cast<Outcome>(code) : Outcome::kError;
      w.current.reset();
      if (outcome != Outcome::kPass) retire(w);  // the worker leaves after it
      if (outcome != Outcome::kPass && w.served > 0) {
        isolate[index] = true;
        pending.push_front(index);
      } else {
        report(index, outcome, line.substr(tab2 + 1), w);
      }
      ++w.served;
      if (w.served >= per_worker) retire(w);
    }
  };

  while (done < samples.size()) {
    for (Worker& w : workers) {
      if (w.to < 0 || w.current) continue;
      // The first queued sample that may run after others; those to run alone wait for a fresh
      // worker (spawned below).
      auto next = std::find_if(pending.begin(), pending.end(), [&](size_t i) { return !isolate[i]; });
      if (next == pending.end()) {
        retire(w);
      } else {
        dispatch(w, *next);
        pending.erase(next);
      }
    }
    size_t active = static_cast<size_t>(std::count_if(
        workers.begin(), workers.end(), [](const Worker& w) { return w.to >= 0 || w.current; }));
    for (; active < jobs && !pending.empty(); ++active) {
      const size_t index = pending.front();
      pending.pop_front();
      spawn(index);
    }
    std::vector<pollfd> polls;
    polls.reserve(workers.size());
    for (const Worker& w : workers) polls.push_back({w.from, POLLIN, 0});
    poll(polls.data(), polls.size(), 50);
    for (auto it = workers.begin(); it != workers.end();) {
      Worker& w = *it;
      char buffer[4096];
      ssize_t n;
      while ((n = read(w.from, buffer, sizeof buffer)) > 0) w.received.append(buffer, static_cast<size_t>(n));
      take_lines(w);
      if (w.current && !w.timed_out &&
          Clock::now() - w.start > std::chrono::duration<double>(options.timeout_s)) {
        w.timed_out = true;
        kill(-w.pid, SIGKILL);
        kill(w.pid, SIGKILL);
      }
      int status = 0;
      if (waitpid(w.pid, &status, WNOHANG) != w.pid) {
        ++it;
        continue;
      }
      while ((n = read(w.from, buffer, sizeof buffer)) > 0) w.received.append(buffer, static_cast<size_t>(n));
      take_lines(w);
      close(w.from);
      if (w.to >= 0) close(w.to);
      kill(-w.pid, SIGKILL);  // anything it left behind
      if (w.current) {
        const size_t index = *w.current;
        if (w.served > 0) {  // it crashed or hung after running others: again, alone
          isolate[index] = true;
          pending.push_front(index);
        } else {
          report(index, Outcome::kError, lost_sample_message(w, status), w);
        }
      }
      it = workers.erase(it);
    }
  }
  for (Worker& w : workers) {  // idle ones given no more work
    if (w.to >= 0) close(w.to);
    close(w.from);
    kill(-w.pid, SIGKILL);
    waitpid(w.pid, nullptr, 0);
  }
  sigaction(SIGPIPE, &previous, nullptr);
  return results;
}

std::string table(const Suite& suite, const std::vector<Result>& results) {
  struct Row {
    size_t counts[kOutcomes] = {};
    size_t samples = 0;
    std::string problem;
  };
  std::map<std::string, Row> rows;
  size_t totals[kOutcomes] = {};
  std::map<std::string, size_t> unsupported_ops;
  size_t exported = 0, core = 0;
  for (const Result& r : results) {
    Row& row = rows[r.sample.entry];
    ++row.samples;
    ++row.counts[static_cast<size_t>(r.outcome)];
    ++totals[static_cast<size_t>(r.outcome)];
    ++(r.sample.core ? core : exported);
    if (r.outcome != Outcome::kPass && row.problem.empty()) {
      row.problem = fmt::format("{}: {}", r.sample.program, one_line(r.message, 150));
    }
    if (r.outcome == Outcome::kUnsupported) {
      // "...: 2 unsupported ops: aten.a.default (node 'a'): ..., aten.b.default (node 'b'): ..."
      size_t at = 0;
      std::set<std::string> ops;
      while ((at = r.message.find("aten.", at)) != std::string::npos) {
        size_t end = r.message.find_first_of(" ,:()'", at);
        ops.insert(r.message.substr(at, end == std::string::npos ? std::string::npos : end - at));
        at = end == std::string::npos ? r.message.size() : end;
      }
      for (const std::string& op : ops) ++unsupported_ops[op];
    }
  }
  std::string out =
      fmt::format("{:<42} {:>7} {:>5} {:>12} {:>17} {:>11} {:>5}  {}\n", "entry", "samples", "pass",
                  "wrong_result", "wrong_dtype_shape", "unsupported", "error", "first problem");
  for (const auto& [entry, row] : rows) {
    out +=
        fmt::format("{:<42} {:>7} {:>5} {:>12} {:>17} {:>11} {:>5}  {}\n", entry, row.samples, row.counts[0],
                    row.counts[1], row.counts[2], row.counts[3], row.counts[4], row.problem);
  }
  const size_t n = results.size();
  out += fmt::format("{:<42} {:>7} {:>5} {:>12} {:>17} {:>11} {:>5}\n", "total", n, totals[0], totals[1],
                     totals[2], totals[3], totals[4]);
  const size_t entries_passing = static_cast<size_t>(std::count_if(
      rows.begin(), rows.end(), [](const auto& kv) { return kv.second.counts[0] == kv.second.samples; }));
  out += fmt::format(
      "suite: exported by PyTorch {}; {} entries, {} samples ({} as exported, {} after run_decompositions); "
      "{} samples torch.export could not export are not counted\n",
      suite.torch_version, rows.size(), n, exported, core, suite.not_exportable);
  out += fmt::format("pass: {} of {} samples ({:.1f}%); entries with every sample passing: {} of {}\n",
                     totals[0], n, n ? 100.0 * static_cast<double>(totals[0]) / static_cast<double>(n) : 0.0,
                     entries_passing, rows.size());
  if (!unsupported_ops.empty()) {
    std::vector<std::pair<std::string, size_t>> ops(unsupported_ops.begin(), unsupported_ops.end());
    std::stable_sort(ops.begin(), ops.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    out += "unsupported ops (samples):";
    for (size_t i = 0; i < ops.size() && i < 40; ++i)
      out += fmt::format(" {} ({})", ops[i].first, ops[i].second);
    if (ops.size() > 40) out += fmt::format(" and {} more", ops.size() - 40);
    out += "\n";
  }
  return out;
}

std::string outcomes_text(const std::vector<Result>& results) {
  std::vector<std::string> lines;
  lines.reserve(results.size());
  for (const Result& r : results) lines.push_back(r.sample.key() + " " + outcome_name(r.outcome));
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

std::map<std::string, Outcome> read_outcomes(const std::string& path) {
  std::ifstream in(path);
  if (!in) user_error("{}: cannot read", path);
  std::map<std::string, Outcome> outcomes;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos) user_error("{}:{}: expected '<sample> <outcome>'", path, number);
    try {
      outcomes[line.substr(0, space)] = outcome_from_name(line.substr(space + 1));
    } catch (const UserError& e) {
      user_error("{}:{}: {}", path, number, e.what());
    }
  }
  return outcomes;
}

}  // namespace aotic::conformance
