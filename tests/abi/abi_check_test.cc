// Tests of tools/abi_check: the checked-in manifest matches shim.h, ABI breaks are caught, shim.h
// is identical to PyTorch 2.11's shim, and model.cpp may reach libtorch only through the shim.

#include <sys/wait.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace {

// A path under the repository (tests run from the workspace root of their runfiles).
std::string repo_path(const std::string& relative) {
  if (std::filesystem::exists(relative)) return relative;
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir && workspace) return std::string(srcdir) + "/" + workspace + "/" + relative;
  return relative;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string scratch(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base ? base : "/tmp") + "/abi_check_test";
  std::filesystem::create_directories(dir);
  return dir + "/" + name;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool contains_line(const std::string& text, const std::string& line) {
  for (const std::string& l : lines_of(text)) {
    if (l == line) return true;
  }
  return false;
}

struct Result {
  int rc = -1;
  std::string out;  // stdout and stderr together
};

std::string quote(const std::string& s) { return "'" + s + "'"; }

Result abi_check(const std::string& args) {
  std::string command = quote(repo_path("tools/abi_check/abi_check")) + " " + args + " 2>&1";
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.out.append(buf, n);
  int status = pclose(pipe);
  result.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

const std::string kShim = "shim/include/aotic/shim.h";

std::string shim_h() { return repo_path(kShim); }

// shim.h with `from` replaced by `to` (which must occur exactly once), written to a scratch copy.
std::string edited_shim(const std::string& name, const std::string& from, const std::string& to) {
  std::string text = read_file(shim_h());
  size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "shim.h no longer contains: " << from);
  REQUIRE_MESSAGE(text.find(from, at + 1) == std::string::npos, "shim.h contains twice: " << from);
  text.replace(at, from.size(), to);
  std::string path = scratch(name + "/shim.h");
  write_file(path, text);
  return path;
}

// A manifest of the current shim.h, generated into scratch space.
std::string fresh_manifest() {
  Result r = abi_check("manifest " + quote(shim_h()));
  REQUIRE_MESSAGE(r.rc == 0, r.out);
  std::string path = scratch("fresh_manifest.txt");
  write_file(path, r.out);
  return path;
}

// ---- The normaliser of "RET NAME(PARAMS)" lines: both PyTorch's declarations (with parameter
// names, any spacing) and abi_check's manifest lines map to one form: no parameter names, no
// struct/enum keywords, no top-level const on parameters, "()" for "(void)", tokens joined with a
// space only between two identifiers ("const int64_t*", "c10::complex<float>*").

bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::vector<std::string> tokenize(const std::string& s) {
  std::vector<std::string> tokens;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (is_ident_char(c)) {
      size_t j = i;
      while (j < s.size() && is_ident_char(s[j])) ++j;
      tokens.push_back(s.substr(i, j - i));
      i = j;
    } else if (s.compare(i, 2, "::") == 0) {
      tokens.push_back("::");
      i += 2;
    } else if (s.compare(i, 3, "...") == 0) {
      tokens.push_back("...");
      i += 3;
    } else {
      tokens.push_back(std::string(1, c));
      ++i;
    }
  }
  return tokens;
}

bool is_ident(const std::string& t) { return !t.empty() && is_ident_char(t[0]); }

std::string join(const std::vector<std::string>& tokens) {
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i && is_ident(tokens[i - 1]) && is_ident(tokens[i])) out += ' ';
    out += tokens[i];
  }
  return out;
}

// Splits tokens at commas outside (), <> and [].
std::vector<std::vector<std::string>> split_params(const std::vector<std::string>& tokens) {
  std::vector<std::vector<std::string>> params(1);
  int depth = 0;
  for (const std::string& t : tokens) {
    if (t == "(" || t == "<" || t == "[") ++depth;
    if (t == ")" || t == ">" || t == "]") --depth;
    if (t == "," && depth == 0) {
      params.emplace_back();
    } else {
      params.back().push_back(t);
    }
  }
  if (params.size() == 1 && params[0].empty()) params.clear();
  return params;
}

std::string normalise_params(const std::vector<std::string>& tokens);

std::string normalise_param(std::vector<std::string> t) {
  static const std::vector<std::string> kTypeWords = {
      "int",    "char",  "long",     "short",  "float", "double", "bool",  "void",    "unsigned",
      "signed", "const", "volatile", "struct", "enum",  "union",  "class", "typename"};
  auto type_word = [&](const std::string& s) {
    for (const std::string& w : kTypeWords) {
      if (s == w) return true;
    }
    return false;
  };
  std::vector<std::string> kept;
  for (const std::string& tok : t) {
    if (tok != "struct" && tok != "enum" && tok != "union") kept.push_back(tok);
  }
  t = kept;
  // A function pointer: RET (*NAME)(ARGS).
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    if (t[i] == "(" && t[i + 1] == "*") {
      size_t close = i + 2;
      while (close < t.size() && t[close] != ")") ++close;
      std::vector<std::string> ret(t.begin(), t.begin() + static_cast<long>(i));
      std::vector<std::string> args;
      if (close + 2 < t.size()) args.assign(t.begin() + static_cast<long>(close) + 2, t.end() - 1);
      return normalise_param(ret) + "(*)(" + normalise_params(args) + ")";
    }
  }
  // Drop a parameter name: a trailing identifier that follows a complete type.
  if (t.size() >= 2 && is_ident(t.back()) && !type_word(t.back())) {
    const std::string& before = t[t.size() - 2];
    const bool qualifier = before == "const" || before == "volatile";
    const bool pointer_qualifier =
        qualifier && t.size() >= 3 && (t[t.size() - 3] == "*" || t[t.size() - 3] == "&");
    if (before != "::" && (!qualifier || pointer_qualifier)) t.pop_back();
  }
  // Drop a top-level const: "const T" for non-pointers, "T* const" for pointers.
  bool indirect = false;
  for (const std::string& tok : t) indirect = indirect || tok == "*" || tok == "&";
  if (!indirect) {
    std::vector<std::string> no_const;
    for (const std::string& tok : t) {
      if (tok != "const") no_const.push_back(tok);
    }
    t = no_const;
  } else {
    while (!t.empty() && t.back() == "const") t.pop_back();
  }
  return join(t);
}

std::string normalise_params(const std::vector<std::string>& tokens) {
  std::vector<std::vector<std::string>> params = split_params(tokens);
  if (params.size() == 1 && params[0] == std::vector<std::string>{"void"}) params.clear();
  std::string out;
  for (size_t i = 0; i < params.size(); ++i) out += (i ? "," : "") + normalise_param(params[i]);
  return out;
}

struct Normalised {
  std::string name;
  std::string text;
};

// "" name when the line is not a declaration.
Normalised normalise(const std::string& line) {
  std::vector<std::string> t = tokenize(line);
  while (!t.empty() && t.back() == ";") t.pop_back();
  if (t.empty() || t.back() != ")") return {};
  int depth = 0;
  size_t open = t.size();
  for (size_t i = t.size(); i-- > 0;) {
    if (t[i] == ")") ++depth;
    if (t[i] == "(" && --depth == 0) {
      open = i;
      break;
    }
  }
  if (open == t.size() || open == 0 || !is_ident(t[open - 1])) return {};
  Normalised n;
  n.name = t[open - 1];
  std::vector<std::string> ret(t.begin(), t.begin() + static_cast<long>(open) - 1);
  std::vector<std::string> params(t.begin() + static_cast<long>(open) + 1, t.end() - 1);
  n.text = normalise_param(ret) + " " + n.name + "(" + normalise_params(params) + ")";
  return n;
}

std::map<std::string, std::string> normalised_file(const std::string& path) {
  std::map<std::string, std::string> out;
  for (const std::string& line : lines_of(read_file(path))) {
    if (line.empty() || line[0] == '#') continue;
    Normalised n = normalise(line);
    if (!n.name.empty()) out[n.name] = n.text;
  }
  return out;
}

}  // namespace

TEST_CASE("normaliser: PyTorch's spelling and the manifest's agree") {
  CHECK(
      normalise("AOTITorchError aoti_torch_get_sizes(AtenTensorHandle tensor, int64_t** ret_sizes )").text ==
      normalise("AOTITorchError aoti_torch_get_sizes(AtenTensorHandle, int64_t **)").text);
  CHECK(
      normalise("AOTITorchError aoti_torch_get_sizes(AtenTensorHandle tensor, int64_t** ret_sizes )").text ==
      "AOTITorchError aoti_torch_get_sizes(AtenTensorHandle,int64_t**)");
  CHECK(normalise(
            "AOTITorchError f(const AtenTensorHandle* indices, const uint32_t n, const AtenTensorHandle v)")
            .text == "AOTITorchError f(const AtenTensorHandle*,uint32_t,AtenTensorHandle)");
  CHECK(normalise("AOTITorchError f(TorchLibraryHandle self, void (*fn)(StableIValue*, uint64_t, uint64_t))")
            .text ==
        normalise("AOTITorchError f(TorchLibraryHandle, void (*)(StableIValue *, uint64_t, uint64_t))").text);
  CHECK(normalise("const char* aotic_shim_last_error(void)").text ==
        normalise("const char * aotic_shim_last_error()").text);
  CHECK(normalise("AOTITorchError f(c10::complex<float> value, struct X* x, char* const p)").text ==
        "AOTITorchError f(c10::complex<float>,X*,char*)");
  CHECK(normalise("not a declaration").name.empty());
}

TEST_CASE("(a) the checked-in manifest matches shim.h") {
  const std::string manifest = repo_path("shim/abi_manifest.txt");
  Result generated = abi_check("manifest " + quote(shim_h()));
  REQUIRE_MESSAGE(generated.rc == 0, generated.out);
  CHECK_MESSAGE(generated.out == read_file(manifest),
                "shim/abi_manifest.txt is stale: regenerate it with tools/abi_check/update_manifest.sh");
  Result check = abi_check("check " + quote(shim_h()) + " " + quote(manifest));
  CHECK_MESSAGE(check.rc == 0, check.out);
  CHECK(check.out.find("added:") == std::string::npos);
  const std::vector<std::string> lines = lines_of(generated.out);
  REQUIRE(lines.size() > 1);
  CHECK(lines[0].rfind("# ", 0) == 0);
  CHECK(contains_line(generated.out, "AOTITorchError aoti_torch_get_sizes(AtenTensorHandle, int64_t **)"));
  CHECK(contains_line(generated.out,
                      "AOTITorchError aoti_torch_item_complex64(AtenTensorHandle, c10::complex<float> *)"));
  MESSAGE("manifest functions: " << lines.size() - 1);
}

TEST_CASE("(b) a changed parameter type is an ABI break") {
  std::string header = edited_shim("changed", "aoti_torch_delete_tensor_object(AtenTensorHandle tensor)",
                                   "aoti_torch_delete_tensor_object(void* tensor)");
  Result r = abi_check("check " + quote(header) + " " + quote(fresh_manifest()));
  CHECK(r.rc == 1);
  CHECK_MESSAGE(
      contains_line(r.out,
                    "abi_check: changed: AOTITorchError aoti_torch_delete_tensor_object(AtenTensorHandle) "
                    "-> AOTITorchError aoti_torch_delete_tensor_object(void *)"),
      r.out);
  CHECK(r.out.find("removed:") == std::string::npos);
}

TEST_CASE("(b') a changed return type, and a dropped top-level const is no change") {
  std::string header = edited_shim("changed_ret", "AOTI_TORCH_EXPORT uint64_t aoti_torch_abi_version();",
                                   "AOTI_TORCH_EXPORT int64_t aoti_torch_abi_version();");
  Result r = abi_check("check " + quote(header) + " " + quote(fresh_manifest()));
  CHECK(r.rc == 1);
  CHECK_MESSAGE(contains_line(r.out,
                              "abi_check: changed: uint64_t aoti_torch_abi_version() -> int64_t "
                              "aoti_torch_abi_version()"),
                r.out);
  std::string same = edited_shim("const_param", "aoti_torch_get_size(AtenTensorHandle tensor, int64_t d,",
                                 "aoti_torch_get_size(AtenTensorHandle tensor, const int64_t d,");
  Result s = abi_check("check " + quote(same) + " " + quote(fresh_manifest()));
  CHECK_MESSAGE(s.rc == 0, s.out);
}

TEST_CASE("(c) a removed function is an ABI break") {
  std::string header = edited_shim(
      "removed",
      "AOTI_TORCH_EXPORT AOTITorchError aoti_torch_get_numel(AtenTensorHandle tensor, int64_t* ret_numel);",
      "");
  Result r = abi_check("check " + quote(header) + " " + quote(fresh_manifest()));
  CHECK(r.rc == 1);
  CHECK_MESSAGE(contains_line(r.out,
                              "abi_check: removed: AOTITorchError aoti_torch_get_numel(AtenTensorHandle, "
                              "int64_t *)"),
                r.out);
}

TEST_CASE("(d) an added function is allowed and listed") {
  const std::string anchor = "AOTI_TORCH_EXPORT const char* aotic_shim_last_error(void);";
  std::string header = edited_shim("added", anchor,
                                   anchor +
                                       "\nAOTI_TORCH_EXPORT AOTITorchError "
                                       "aoti_torch_get_numel_v2(AtenTensorHandle tensor, int64_t* ret);");
  Result r = abi_check("check " + quote(header) + " " + quote(fresh_manifest()));
  CHECK_MESSAGE(r.rc == 0, r.out);
  CHECK_MESSAGE(
      contains_line(r.out, "added: AOTITorchError aoti_torch_get_numel_v2(AtenTensorHandle, int64_t *)"),
      r.out);
}

TEST_CASE("(e) shim.h is identical to PyTorch 2.11's shim") {
  Result generated = abi_check("manifest " + quote(shim_h()));
  REQUIRE_MESSAGE(generated.rc == 0, generated.out);
  const auto shim_txt = normalised_file(repo_path("shim/abi/pytorch-2.11/shim.txt"));
  auto fallbacks = normalised_file(repo_path("shim/abi/pytorch-2.11/c_shim_cpu.txt"));
  for (const auto& entry : normalised_file(repo_path("shim/abi/pytorch-2.11/c_shim_cuda.txt"))) {
    fallbacks.insert(entry);
  }
  REQUIRE(shim_txt.size() > 100);
  int compared = 0, matched = 0, in_fallbacks = 0, extensions = 0;
  std::string mismatches;
  for (const std::string& line : lines_of(generated.out)) {
    if (line.empty() || line[0] == '#') continue;
    Normalised ours = normalise(line);
    REQUIRE_MESSAGE(!ours.name.empty(), "cannot normalise: " << line);
    if (ours.name.rfind("aotic_", 0) == 0) {
      ++extensions;
      continue;
    }
    ++compared;
    const std::string* theirs = nullptr;
    if (auto it = shim_txt.find(ours.name); it != shim_txt.end()) {
      theirs = &it->second;
    } else if (auto f = fallbacks.find(ours.name); f != fallbacks.end()) {
      // Fallback ops (aoti_torch_cpu_<op>, aoti_torch_cuda_<op>) are PyTorch's generated shims.
      theirs = &f->second;
      ++in_fallbacks;
    }
    if (!theirs) {
      mismatches += "\n  not in PyTorch 2.11: " + line;
      continue;
    }
    if (*theirs == ours.text) {
      ++matched;
    } else {
      mismatches += "\n  differs: ours " + ours.text + "\n        PyTorch " + *theirs;
    }
  }
  MESSAGE("compared " << compared << " shim.h functions with PyTorch 2.11 (" << in_fallbacks
                      << " of them from c_shim_*.txt), " << matched << " identical; " << extensions
                      << " aotic_* extensions skipped");
  CHECK(compared > 100);
  CHECK_MESSAGE(matched == compared, "shim.h differs from PyTorch 2.11:" << mismatches);
}

TEST_CASE("(f) model mode: a model that uses only the shim passes") {
  Result r = abi_check("model " + quote(repo_path("tests/abi/data/good_model.cpp")) + " --shim " +
                       quote(shim_h()) + " -I " + quote(repo_path("shim/include")));
  CHECK_MESSAGE(r.rc == 0, r.out);
  CHECK(r.out.find("5 shim call sites") != std::string::npos);
}

TEST_CASE("(f) model mode: including ATen fails and names the line") {
  const std::string model = repo_path("tests/abi/data/aten_model.cpp");
  Result r = abi_check("model " + quote(model) + " --shim " + quote(shim_h()) + " -I " +
                       quote(repo_path("shim/include")));
  CHECK(r.rc == 1);
  CHECK_MESSAGE(r.out.find("abi_check: " + model + ":4: includes <ATen/ATen.h>") != std::string::npos, r.out);
}

TEST_CASE("(f) model mode: calling an extern \"C\" function that is not in the shim fails") {
  const std::string model = repo_path("tests/abi/data/local_extern_model.cpp");
  Result r = abi_check("model " + quote(model) + " --shim " + quote(shim_h()) + " -I " +
                       quote(repo_path("shim/include")));
  CHECK(r.rc == 1);
  CHECK_MESSAGE(r.out.find("abi_check: " + model + ":11: calls 'aoti_torch_cpu_relu'") != std::string::npos,
                r.out);
  CHECK(r.out.find("aoti_torch_delete_tensor_object") == std::string::npos);
}

TEST_CASE("(f) model mode: runtime headers given with --allow-dir, compile errors") {
  const std::string model = repo_path("tests/abi/data/runtime_model.cpp");
  const std::string runtime = repo_path("tests/abi/data/runtime");
  const std::string base = "model " + quote(model) + " --shim " + quote(shim_h()) + " -I " +
                           quote(repo_path("shim/include")) + " -I " + quote(runtime);
  Result denied = abi_check(base);
  CHECK(denied.rc == 1);
  CHECK_MESSAGE(denied.out.find(model + ":8: calls 'aotic_runtime_fill'") != std::string::npos, denied.out);
  Result allowed = abi_check(base + " --allow-dir " + quote(runtime));
  CHECK_MESSAGE(allowed.rc == 0, allowed.out);

  const std::string broken = scratch("broken_model.cpp");
  write_file(broken, "#include \"aotic/shim.h\"\nint f() { return aoti_torch_no_such_function(); }\n");
  Result r = abi_check("model " + quote(broken) + " --shim " + quote(shim_h()) + " -I " +
                       quote(repo_path("shim/include")));
  CHECK(r.rc == 1);
  CHECK_MESSAGE(r.out.find(broken + ":2:") != std::string::npos, r.out);
  CHECK(r.out.find("error: use of undeclared identifier 'aoti_torch_no_such_function'") != std::string::npos);
}

TEST_CASE("(g) every generated model.cpp (the codegen goldens) passes the model check") {
  // The include tree a model.so is compiled with: aotic/shim.h, aotic/c_shim_cpu.h (the
  // generated fallback ops) and aotic/runtime/*.h.
  const std::string include = scratch("model_include");
  std::filesystem::create_directories(include + "/aotic/runtime");
  write_file(include + "/aotic/shim.h", read_file(shim_h()));
  write_file(include + "/aotic/c_shim_cpu.h", read_file(repo_path("shim/generated/c_shim_cpu.h")));
  for (const char* h : {"error.h", "handle.h", "interface.h", "model.h", "model_spec.h", "threads.h"}) {
    write_file(include + "/aotic/runtime/" + h,
               read_file(repo_path(std::string("runtime/include/aotic/runtime/") + h)));
  }
  int checked = 0, cuda = 0, split = 0;
  for (const auto& entry : std::filesystem::directory_iterator(repo_path("tests/golden/codegen"))) {
    const std::string model = entry.path().string() + "/model.cpp";
    CAPTURE(model);
    // A CUDA model.cpp launches kernels with `<<<...>>>`, which is not C++: libTooling cannot
    // parse it. nvcc compiles the same models against the same headers in
    // tests/tools/cuda_test.cc, which checks every shim call against its declaration.
    const std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".cuda") == 0) {
      ++cuda;
      continue;
    }
    // The golden holds model.cpp then each kernel file after a "// ---- NAME ----" line: each is
    // a translation unit of its own, checked alone.
    const std::string text = read_file(model);
    const std::string marker = "\n// ---- ";
    std::vector<std::pair<std::string, std::string>> files;
    size_t start = 0;
    std::string file_name = "model.cpp";
    while (true) {
      const size_t next = text.find(marker, start);
      files.emplace_back(file_name,
                         text.substr(start, next == std::string::npos ? std::string::npos : next - start));
      if (next == std::string::npos) break;
      const size_t name_end = text.find(" ----\n", next + marker.size());
      REQUIRE(name_end != std::string::npos);
      file_name = text.substr(next + marker.size(), name_end - next - marker.size());
      start = name_end + 6;
    }
    std::string paths;
    for (const auto& [file, source] : files) {
      const std::string path = scratch("golden_tu/" + name + "/" + file);
      write_file(path, source);
      paths += " " + quote(path);
    }
    Result r = abi_check("model" + paths + " --shim " + quote(include + "/aotic/shim.h") + " -I " +
                         quote(include) + " --allow-dir " + quote(include + "/aotic"));
    CHECK_MESSAGE(r.rc == 0, r.out);
    if (files.size() > 1) {
      // model.cpp alone calls kernels it does not define.
      Result alone = abi_check("model " + quote(scratch("golden_tu/" + name + "/model.cpp")) + " --shim " +
                               quote(include + "/aotic/shim.h") + " -I " + quote(include) + " --allow-dir " +
                               quote(include + "/aotic"));
      CHECK(alone.rc == 1);
      CHECK(alone.out.find("but not defined in the model") != std::string::npos);
      ++split;
    }
    ++checked;
  }
  CHECK(checked >= 17);
  CHECK(split >= 10);
  CHECK(cuda == 3);
}

TEST_CASE("bad input: one-line errors, exit 1; usage errors exit 2") {
  Result missing = abi_check("manifest " + quote(scratch("no_such_header.h")));
  CHECK(missing.rc == 1);
  CHECK(lines_of(missing.out).size() == 1);
  CHECK(missing.out.find("no such file") != std::string::npos);

  const std::string broken = scratch("broken/shim.h");
  write_file(broken, "extern \"C\" int f(int;\n");
  Result parse = abi_check("manifest " + quote(broken));
  CHECK(parse.rc == 1);
  CHECK_MESSAGE(lines_of(parse.out).size() == 1, parse.out);
  CHECK(parse.out.find("error:") != std::string::npos);

  Result no_manifest = abi_check("check " + quote(shim_h()) + " " + quote(scratch("no_such_manifest.txt")));
  CHECK(no_manifest.rc == 1);

  const std::string garbage = scratch("garbage_manifest.txt");
  write_file(garbage, "# comment\nthis is not a signature\n");
  Result bad_manifest = abi_check("check " + quote(shim_h()) + " " + quote(garbage));
  CHECK(bad_manifest.rc == 1);
  CHECK(bad_manifest.out.find("garbage_manifest.txt:2: not a signature") != std::string::npos);

  CHECK(abi_check("").rc == 2);
  CHECK(abi_check("manifest").rc == 2);
  CHECK(abi_check("frobnicate x").rc == 2);
  CHECK(abi_check("model " + quote(repo_path("tests/abi/data/good_model.cpp"))).rc == 2);
  CHECK(abi_check("manifest " + quote(shim_h()) + " --bogus").rc == 2);
}
