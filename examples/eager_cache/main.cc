// The eager kernel cache on common ops: each op runs first with libtorch's own kernel, then with
// aotic's cache enabled (the first call runs the regular kernel and queues the compile, later
// ones run the cached kernel); results are compared and the latencies printed side by side.
//
//   bazel run //examples/eager_cache -- --cache /tmp/kcache         # compiles, then hits
//   bazel run //examples/eager_cache -- --cache /tmp/kcache         # a second process: loads
//
// Options: --cache DIR (required), --ops add.Tensor,gelu,... (default: all below),
// --repeat N (timed calls per op, default 200), --rows R --cols C (input sizes, default 64x1024),
// --dynamic (one kernel per dtype and rank). The last line sums up the cache's counters.
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "eager/eager.h"

namespace {

struct Case {
  std::string op;  // "aten::add.Tensor"
  std::function<at::Tensor()> call;
};

double median_us(const std::function<at::Tensor()>& call, int repeat) {
  std::vector<double> times;
  for (int i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    at::Tensor r = call();
    times.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) {
    if (!item.empty()) out.push_back(item.find("::") == std::string::npos ? "aten::" + item : item);
  }
  return out;
}

int usage(const char* why) {
  std::fprintf(stderr,
               "eager_cache: %s\nusage: eager_cache --cache DIR [--ops a,b] [--repeat N] [--rows R] "
               "[--cols C] [--dynamic]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  aotic::eager::Options options;
  std::string ops_arg;
  int repeat = 200;
  int64_t rows = 64, cols = 1024;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--cache") {
      options.cache_dir = value();
    } else if (arg == "--ops") {
      ops_arg = value();
    } else if (arg == "--repeat") {
      repeat = std::max(1, std::atoi(value().c_str()));
    } else if (arg == "--rows") {
      rows = std::max(1, std::atoi(value().c_str()));
    } else if (arg == "--cols") {
      cols = std::max(1, std::atoi(value().c_str()));
    } else if (arg == "--dynamic") {
      options.dynamic_shapes = true;
    } else {
      return usage(("unknown option " + arg).c_str());
    }
  }
  if (options.cache_dir.empty()) return usage("--cache DIR is required");

  at::manual_seed(0);
  const at::Tensor x = at::randn({rows, cols});
  const at::Tensor y = at::randn({rows, cols});
  const at::Tensor bias = at::randn({cols});
  const at::Tensor w = at::randn({cols, cols / 8});
  const at::Tensor b = at::randn({cols / 8});
  const at::Tensor cond = x > 0;
  const std::vector<Case> all = {
      {"aten::add.Tensor", [&] { return at::add(x, y); }},
      {"aten::mul.Tensor", [&] { return at::mul(x, bias); }},
      {"aten::sub.Tensor", [&] { return at::sub(x, y, 2); }},
      {"aten::div.Tensor", [&] { return at::div(x, y); }},
      {"aten::relu", [&] { return at::relu(x); }},
      {"aten::gelu", [&] { return at::gelu(x); }},
      {"aten::sigmoid", [&] { return at::sigmoid(x); }},
      {"aten::tanh", [&] { return at::tanh(x); }},
      {"aten::exp", [&] { return at::exp(x); }},
      {"aten::silu", [&] { return at::silu(x); }},
      {"aten::sum.dim_IntList", [&] { return at::sum(x, {1}); }},
      {"aten::mean.dim", [&] { return at::mean(x, {1}, true); }},
      {"aten::_softmax", [&] { return at::_softmax(x, 1, false); }},
      {"aten::_log_softmax", [&] { return at::_log_softmax(x, 1, false); }},
      {"aten::where.self", [&] { return at::where(cond, x, y); }},
      {"aten::addmm", [&] { return at::addmm(b, x, w); }},
  };
  std::vector<Case> cases;
  const std::vector<std::string> wanted = split(ops_arg);
  for (const Case& c : all) {
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), c.op) != wanted.end()) cases.push_back(c);
  }
  if (cases.empty()) return usage("no known op in --ops");

  // libtorch's own kernels first, before anything is registered.
  std::vector<at::Tensor> expected;
  std::vector<double> regular;
  for (const Case& c : cases) {
    expected.push_back(c.call());
    regular.push_back(median_us(c.call, repeat));
  }

  std::vector<std::string> ops;
  for (const Case& c : cases) ops.push_back(c.op);
  std::unique_ptr<aotic::eager::Registration> cache;
  try {
    cache = aotic::eager::enable(ops, options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eager_cache: %s\n", e.what());
    return 1;
  }

  std::printf("%-24s %12s %14s %12s %12s %8s  %s\n", "op", "regular us", "first call us", "ready ms",
              "cached us", "ratio", "match");
  int mismatches = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    // The first call runs the regular kernel and queues the compile; "ready" is when the kernel
    // is compiled, loaded and recorded.
    const auto start = std::chrono::steady_clock::now();
    const at::Tensor first = cases[i].call();
    const double first_us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    cache->wait_for_compiles();
    const double ready_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const at::Tensor again = cases[i].call();
    const double cached = median_us(cases[i].call, repeat);
    // float32 tolerance as for whole models (rtol 1e-4, atol 1e-5): reductions sum in another order.
    const bool match =
        at::allclose(first, expected[i], 1e-4, 1e-5) && at::allclose(again, expected[i], 1e-4, 1e-5);
    mismatches += match ? 0 : 1;
    std::printf("%-24s %12.2f %14.2f %12.2f %12.2f %7.2fx  %s\n", cases[i].op.c_str(), regular[i], first_us,
                ready_ms, cached, cached / regular[i], match ? "yes" : "NO");
    cache->wait_for_compiles();  // the compiles the comparison's own calls queued: the next op starts idle
  }
  const aotic::eager::Stats s = cache->stats();
  std::printf(
      "stats: hits=%lld misses=%lld compiles=%lld compile_failures=%lld loaded_from_disk=%lld fallbacks=%lld "
      "stale_entries=%lld compile_seconds=%.2f mismatches=%d\n",
      static_cast<long long>(s.hits), static_cast<long long>(s.misses), static_cast<long long>(s.compiles),
      static_cast<long long>(s.compile_failures), static_cast<long long>(s.loaded_from_disk),
      static_cast<long long>(s.fallbacks), static_cast<long long>(s.stale_entries), s.compile_seconds,
      mismatches);
  return mismatches == 0 ? 0 : 1;
}
