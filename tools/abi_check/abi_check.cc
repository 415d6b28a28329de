// abi_check: guards aotic's stable C ABI (shim/include/aotic/shim.h) with Clang libTooling.
//
//   abi_check manifest HEADER [-I dir]...            the ABI manifest of HEADER, on stdout
//   abi_check check HEADER MANIFEST [-I dir]...      HEADER still provides every manifest function
//   abi_check model MODEL.cpp [KERNELS.cpp]... --shim HEADER [--allow-dir DIR]... [-I dir]...
//                                                    the model's translation units reach libtorch
//                                                    only through HEADER (a function one declares
//                                                    and another defines is the model's own)
//
// Exit status: 0 ok, 1 a problem (or bad input: a missing file, a parse error), 2 usage.
// See tools/abi_check/README.md for the manifest's printing policy.

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <clang/AST/ASTConsumer.h>
#include <clang/AST/ASTContext.h>
#include <clang/AST/Decl.h>
#include <clang/AST/PrettyPrinter.h>
#include <clang/AST/QualTypeNames.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/FileManager.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendAction.h>
#include <clang/Lex/PPCallbacks.h>
#include <clang/Lex/Preprocessor.h>
#include <clang/Tooling/Tooling.h>
#include <llvm/ADT/SmallString.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/VirtualFileSystem.h>

namespace {

constexpr const char* kManifestComment =
    "# aotic ABI manifest: one extern \"C\" function per line, sorted by name. "
    "Regenerate with tools/abi_check/update_manifest.sh";

const char* const kResourceDirCandidates[] = {
#ifdef ABI_CHECK_RESOURCE_DIR
    ABI_CHECK_RESOURCE_DIR,
#endif
    "/usr/lib/llvm-14/lib/clang/14.0.6",
    "/usr/lib/llvm-14/lib/clang/14",
    "/usr/lib/clang/14.0.6",
    "/usr/lib/clang/14",
};

int usage() {
  std::cerr
      << "usage: abi_check manifest HEADER [-I dir]...\n"
         "       abi_check check HEADER MANIFEST [-I dir]...\n"
         "       abi_check model MODEL.cpp [KERNELS.cpp]... --shim HEADER [--allow-dir DIR]... [-I dir]...\n";
  return 2;
}

int fail(const std::string& message) {
  std::cerr << "abi_check: " << message << "\n";
  return 1;
}

std::string resource_dir() {
  for (const char* dir : kResourceDirCandidates) {
    if (llvm::sys::fs::is_directory(llvm::Twine(dir) + "/include")) return dir;
  }
  return "";
}

bool readable_file(const std::string& path, std::string* why) {
  if (!llvm::sys::fs::exists(path)) {
    *why = "cannot read " + path + ": no such file";
    return false;
  }
  if (llvm::sys::fs::is_directory(path)) {
    *why = "cannot read " + path + ": is a directory";
    return false;
  }
  std::ifstream in(path);
  if (!in) {
    *why = "cannot read " + path;
    return false;
  }
  return true;
}

// A path made absolute as spelled (dots removed, symlinks kept), then with symlinks resolved: a
// Bazel runfiles tree links files but not directories, so --allow-dir matches either form.
std::vector<std::string> path_forms(const std::string& path) {
  std::vector<std::string> forms;
  llvm::SmallString<256> absolute(path);
  llvm::sys::fs::make_absolute(absolute);
  llvm::sys::path::remove_dots(absolute, true);
  forms.push_back(std::string(absolute.str()));
  llvm::SmallString<256> real;
  if (!llvm::sys::fs::real_path(path, real)) forms.push_back(std::string(real.str()));
  return forms;
}

// ------------------------------------------------------------------------------------------------
// Diagnostics: errors are collected (one line each) and never printed by Clang itself.

class CollectingDiagnostics : public clang::DiagnosticConsumer {
 public:
  void HandleDiagnostic(clang::DiagnosticsEngine::Level level, const clang::Diagnostic& info) override {
    clang::DiagnosticConsumer::HandleDiagnostic(level, info);
    if (level < clang::DiagnosticsEngine::Error) return;
    llvm::SmallString<256> text;
    info.FormatDiagnostic(text);
    std::string where;
    if (info.hasSourceManager() && info.getLocation().isValid()) {
      clang::PresumedLoc p = info.getSourceManager().getPresumedLoc(info.getLocation());
      if (p.isValid()) {
        where = std::string(p.getFilename()) + ":" + std::to_string(p.getLine()) + ":" +
                std::to_string(p.getColumn()) + ": ";
      }
    }
    errors.push_back(where + "error: " + std::string(text.str()));
  }
  std::vector<std::string> errors;
};

// Runs `action` over `file` as C++17 with `extra` arguments (-I and the like). Returns false
// (with the compiler's errors in `diags`) when the file does not compile.
bool run_clang(const std::string& file, const std::vector<std::string>& extra,
               std::unique_ptr<clang::FrontendAction> action, CollectingDiagnostics* diags) {
  std::vector<std::string> args = {
      "clang++",         "-fsyntax-only", "-x", "c++", "-std=c++17", "-w", "-fno-caret-diagnostics",
      "-ferror-limit=50"};
  std::string resources = resource_dir();
  if (!resources.empty()) args.push_back("-resource-dir=" + resources);
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(file);
  llvm::IntrusiveRefCntPtr<clang::FileManager> files(
      new clang::FileManager(clang::FileSystemOptions(), llvm::vfs::getRealFileSystem()));
  clang::tooling::ToolInvocation invocation(std::move(args), std::move(action), files.get());
  invocation.setDiagnosticConsumer(diags);
  bool ok = invocation.run();
  return ok && diags->errors.empty();
}

// ------------------------------------------------------------------------------------------------
// Printing signatures.

// The printing policy of the manifest: types as written in the declaration (typedef names kept:
// AtenTensorHandle, int64_t), record/enum names fully qualified without the struct/enum keyword
// (c10::Half), clang's spacing ("int64_t **", "const int64_t *"), top-level cv-qualifiers of
// parameters dropped (they are not part of the function type), arrays and functions decayed to
// pointers, "()" for no parameters, ", ..." for variadic functions. Parameter names, default
// arguments, attributes and exception specifications are not part of the signature.
// Removes elaborated-type sugar ("struct X", "ns::X" as written) below pointers, references and
// function types, keeping typedef sugar; the scope is then re-added uniformly.
clang::QualType strip_elaborated(clang::QualType type, const clang::ASTContext& context) {
  if (type.isNull()) return type;
  clang::Qualifiers quals = type.getLocalQualifiers();
  const clang::Type* t = type.getTypePtr();
  clang::QualType inner;
  if (const auto* e = llvm::dyn_cast<clang::ElaboratedType>(t)) {
    inner = strip_elaborated(e->getNamedType(), context);
  } else if (const auto* p = llvm::dyn_cast<clang::PointerType>(t)) {
    inner = context.getPointerType(strip_elaborated(p->getPointeeType(), context));
  } else if (const auto* r = llvm::dyn_cast<clang::LValueReferenceType>(t)) {
    inner = context.getLValueReferenceType(strip_elaborated(r->getPointeeType(), context));
  } else if (const auto* r = llvm::dyn_cast<clang::RValueReferenceType>(t)) {
    inner = context.getRValueReferenceType(strip_elaborated(r->getPointeeType(), context));
  } else if (const auto* paren = llvm::dyn_cast<clang::ParenType>(t)) {
    inner = context.getParenType(strip_elaborated(paren->getInnerType(), context));
  } else if (const auto* d = llvm::dyn_cast<clang::DecayedType>(t)) {
    inner = strip_elaborated(d->getDecayedType(), context);
  } else if (const auto* f = llvm::dyn_cast<clang::FunctionProtoType>(t)) {
    std::vector<clang::QualType> params;
    for (clang::QualType param : f->getParamTypes()) params.push_back(strip_elaborated(param, context));
    inner =
        context.getFunctionType(strip_elaborated(f->getReturnType(), context), params, f->getExtProtoInfo());
  } else {
    return type;
  }
  return context.getQualifiedType(inner, quals);
}

std::string type_string(clang::QualType type, const clang::ASTContext& context) {
  clang::QualType qualified =
      clang::TypeName::getFullyQualifiedType(strip_elaborated(type, context), context, false);
  clang::PrintingPolicy policy(context.getLangOpts());
  policy.SuppressTagKeyword = true;
  policy.SuppressUnwrittenScope = true;
  policy.SuppressDefaultTemplateArgs = true;
  policy.SplitTemplateClosers = false;
  policy.FullyQualifiedName = true;
  policy.PrintCanonicalTypes = false;
  policy.Bool = true;
  return qualified.getAsString(policy);
}

struct Signature {
  std::string name;
  std::string text;  // RET NAME(PARAM_TYPES)
};

Signature signature_of(const clang::FunctionDecl* fn, const clang::ASTContext& context) {
  Signature sig;
  sig.name = fn->getNameAsString();
  std::string params;
  const auto* proto = fn->getType()->getAs<clang::FunctionProtoType>();
  unsigned count = proto ? proto->getNumParams() : fn->getNumParams();
  for (unsigned i = 0; i < count; ++i) {
    clang::QualType t = proto ? proto->getParamType(i) : fn->getParamDecl(i)->getType();
    t = context.getAdjustedParameterType(t).getUnqualifiedType();
    if (i) params += ", ";
    params += type_string(t, context);
  }
  if (fn->isVariadic()) params += count ? ", ..." : "...";
  sig.text = type_string(fn->getReturnType(), context) + " " + sig.name + "(" + params + ")";
  return sig;
}

// ------------------------------------------------------------------------------------------------
// manifest / check

class ManifestConsumer : public clang::ASTConsumer {
 public:
  explicit ManifestConsumer(std::map<std::string, std::string>* out) : out_(out) {}
  void HandleTranslationUnit(clang::ASTContext& context) override {
    struct Visitor : clang::RecursiveASTVisitor<Visitor> {
      clang::ASTContext* context;
      std::map<std::string, std::string>* out;
      bool VisitFunctionDecl(clang::FunctionDecl* fn) {
        if (!fn->isExternC() || fn->isImplicit() || fn->getBuiltinID() != 0) return true;
        const clang::SourceManager& sm = context->getSourceManager();
        if (!sm.isInMainFile(sm.getExpansionLoc(fn->getLocation()))) return true;
        Signature sig = signature_of(fn, *context);
        out->emplace(sig.name, sig.text);
        return true;
      }
    } visitor;
    visitor.context = &context;
    visitor.out = out_;
    visitor.TraverseDecl(context.getTranslationUnitDecl());
  }

 private:
  std::map<std::string, std::string>* out_;
};

class ManifestAction : public clang::ASTFrontendAction {
 public:
  explicit ManifestAction(std::map<std::string, std::string>* out) : out_(out) {}
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance&, llvm::StringRef) override {
    return std::make_unique<ManifestConsumer>(out_);
  }

 private:
  std::map<std::string, std::string>* out_;
};

// name -> signature of every extern "C" function declared in `header` itself.
bool header_signatures(const std::string& header, const std::vector<std::string>& extra,
                       std::map<std::string, std::string>* out) {
  std::string why;
  if (!readable_file(header, &why)) {
    fail(why);
    return false;
  }
  CollectingDiagnostics diags;
  std::vector<std::string> args = extra;
  args.push_back("-Wno-pragma-once-outside-header");
  if (!run_clang(header, args, std::make_unique<ManifestAction>(out), &diags)) {
    std::string first = diags.errors.empty() ? header + ": does not compile" : diags.errors.front();
    if (diags.errors.size() > 1)
      first += " (and " + std::to_string(diags.errors.size() - 1) + " more errors)";
    fail(first);
    return false;
  }
  return true;
}

// The name in "RET NAME(PARAMS)": the identifier before the final balanced parenthesis group.
std::string name_of_signature(const std::string& sig) {
  size_t end = sig.find_last_not_of(" \t\r");
  if (end == std::string::npos || sig[end] != ')') return "";
  int depth = 0;
  size_t open = std::string::npos;
  for (size_t i = end + 1; i-- > 0;) {
    if (sig[i] == ')') ++depth;
    if (sig[i] == '(' && --depth == 0) {
      open = i;
      break;
    }
  }
  if (open == std::string::npos) return "";
  size_t stop = open;
  while (stop > 0 && sig[stop - 1] == ' ') --stop;
  size_t start = stop;
  while (start > 0 && (std::isalnum(static_cast<unsigned char>(sig[start - 1])) || sig[start - 1] == '_'))
    --start;
  return sig.substr(start, stop - start);
}

int cmd_manifest(const std::string& header, const std::vector<std::string>& extra) {
  std::map<std::string, std::string> sigs;
  if (!header_signatures(header, extra, &sigs)) return 1;
  std::cout << kManifestComment << "\n";
  for (const auto& [name, text] : sigs) std::cout << text << "\n";
  return 0;
}

int cmd_check(const std::string& header, const std::string& manifest, const std::vector<std::string>& extra) {
  std::string why;
  if (!readable_file(manifest, &why)) return fail(why);
  std::map<std::string, std::string> expected;
  std::ifstream in(manifest);
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    line = line.substr(first, line.find_last_not_of(" \t") + 1 - first);
    std::string name = name_of_signature(line);
    if (name.empty())
      return fail(manifest + ":" + std::to_string(line_number) + ": not a signature: " + line);
    expected[name] = line;
  }
  std::map<std::string, std::string> actual;
  if (!header_signatures(header, extra, &actual)) return 1;
  int problems = 0;
  for (const auto& [name, sig] : expected) {
    auto it = actual.find(name);
    if (it == actual.end()) {
      std::cerr << "abi_check: removed: " << sig << "\n";
      ++problems;
    } else if (it->second != sig) {
      std::cerr << "abi_check: changed: " << sig << " -> " << it->second << "\n";
      ++problems;
    }
  }
  for (const auto& [name, sig] : actual) {
    if (!expected.count(name)) std::cout << "added: " << sig << "\n";
  }
  if (problems) {
    std::cerr << "abi_check: " << header << " breaks " << problems << " of " << expected.size()
              << " functions of " << manifest << "\n";
    return 1;
  }
  std::cout << "abi_check: ok: " << expected.size() << " functions unchanged, "
            << actual.size() - expected.size() << " added\n";
  return 0;
}

// ------------------------------------------------------------------------------------------------
// model

// True when an include spelling names a libtorch header: a path component ATen/, c10/ or torch/.
bool forbidden_include(llvm::StringRef spelled) {
  for (llvm::StringRef dir : {"ATen/", "c10/", "torch/"}) {
    size_t pos = 0;
    while ((pos = spelled.find(dir, pos)) != llvm::StringRef::npos) {
      if (pos == 0 || spelled[pos - 1] == '/') return true;
      ++pos;
    }
  }
  return false;
}

bool forbidden_path(llvm::StringRef path) {
  return path.contains("/ATen/") || path.contains("/c10/") || path.contains("/torch/");
}

struct ModelFindings {
  std::vector<std::pair<std::string, std::string>> problems;  // (sort key, message)
  int shim_calls = 0;
  /// Functions a file declares and uses without defining (their name and type, and the problem
  /// they are unless another of the model's files defines them), and what the files define.
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> undefined;
  std::set<std::string> defined;
};

/// A function's identity across translation units: its qualified name and type.
std::string function_key(const clang::FunctionDecl* fn) {
  return fn->getQualifiedNameAsString() + " " + fn->getType().getAsString();
}

std::string location_string(const clang::SourceManager& sm, clang::SourceLocation loc) {
  clang::PresumedLoc p = sm.getPresumedLoc(sm.getExpansionLoc(loc));
  if (p.isInvalid()) return "<unknown>";
  return std::string(p.getFilename()) + ":" + std::to_string(p.getLine());
}

std::string sort_key(const clang::SourceManager& sm, clang::SourceLocation loc) {
  clang::PresumedLoc p = sm.getPresumedLoc(sm.getExpansionLoc(loc));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%010u:%06u", p.isValid() ? p.getLine() : 0u,
                p.isValid() ? p.getColumn() : 0u);
  return std::string(p.isValid() ? p.getFilename() : "") + "\x01" + buf;
}

class IncludeGuard : public clang::PPCallbacks {
 public:
  IncludeGuard(clang::SourceManager* sm, ModelFindings* findings) : sm_(sm), findings_(findings) {}
  void InclusionDirective(clang::SourceLocation hash, const clang::Token&, llvm::StringRef name, bool angled,
                          clang::CharSourceRange, const clang::FileEntry* file, llvm::StringRef,
                          llvm::StringRef, const clang::Module*, clang::SrcMgr::CharacteristicKind) override {
    if (!forbidden_include(name)) return;
    std::string spelled = angled ? "<" + name.str() + ">" : "\"" + name.str() + "\"";
    findings_->problems.emplace_back(sort_key(*sm_, hash),
                                     location_string(*sm_, hash) + ": includes " + spelled +
                                         ": model code may not include ATen/, c10/ or torch/ headers");
    // Do not parse libtorch: the directive is an error already, and its headers are slow.
    if (file) sm_->overrideFileContents(file, llvm::MemoryBuffer::getMemBuffer("", file->getName()));
  }

 private:
  clang::SourceManager* sm_;
  ModelFindings* findings_;
};

struct ModelOptions {
  std::string model, shim;              // model: the file being checked
  std::vector<std::string> allow_dirs;  // real paths, ending in '/'
};

class ModelConsumer : public clang::ASTConsumer {
 public:
  ModelConsumer(const ModelOptions* options, ModelFindings* findings)
      : options_(options), findings_(findings) {}

  void HandleTranslationUnit(clang::ASTContext& context) override {
    const clang::SourceManager& sm = context.getSourceManager();
    auto shim_file = sm.getFileManager().getFile(options_->shim);
    const clang::FileEntry* shim = shim_file ? *shim_file : nullptr;

    struct Visitor : clang::RecursiveASTVisitor<Visitor> {
      bool shouldVisitTemplateInstantiations() const { return true; }
      ModelConsumer* self;
      const clang::SourceManager* sm;
      const clang::FileEntry* shim;
      std::set<std::pair<std::string, const clang::FunctionDecl*>> seen;
      std::set<const clang::DeclRefExpr*> callees;

      bool VisitFunctionDecl(clang::FunctionDecl* fn) {
        if (fn->isThisDeclarationADefinition() && fn->isExternallyVisible() &&
            sm->isInMainFile(sm->getExpansionLoc(fn->getLocation()))) {
          self->findings_->defined.insert(function_key(fn));
        }
        return true;
      }

      bool VisitCallExpr(clang::CallExpr* call) {
        if (const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(call->getCallee()->IgnoreParenImpCasts())) {
          callees.insert(ref);
        }
        return true;
      }

      bool VisitDeclRefExpr(clang::DeclRefExpr* ref) {
        auto* fn = llvm::dyn_cast<clang::FunctionDecl>(ref->getDecl());
        if (!fn) return true;
        clang::SourceLocation use = sm->getExpansionLoc(ref->getBeginLoc());
        if (!sm->isInMainFile(use)) return true;  // calls inside headers are the headers' business
        std::string where = location_string(*sm, use);
        if (!seen.insert({where, fn->getCanonicalDecl()}).second) return true;
        self->check_use(*sm, shim, fn, use, callees.count(ref) ? "calls" : "takes the address of");
        return true;
      }
    } visitor;
    visitor.self = this;
    visitor.sm = &sm;
    visitor.shim = shim;
    visitor.TraverseDecl(context.getTranslationUnitDecl());
  }

  void check_use(const clang::SourceManager& sm, const clang::FileEntry* shim, const clang::FunctionDecl* fn,
                 clang::SourceLocation use, const char* verb) {
    const std::string where = location_string(sm, use);
    if (fn->isImplicit() || fn->getBuiltinID() != 0) return;
    bool in_shim = false, allowed = false, in_main = false, only_main = true;
    std::string declared_at;
    for (const clang::FunctionDecl* decl : fn->redecls()) {
      clang::SourceLocation loc = sm.getExpansionLoc(decl->getLocation());
      if (loc.isInvalid()) continue;
      if (declared_at.empty()) declared_at = location_string(sm, loc);
      const clang::FileEntry* file = sm.getFileEntryForID(sm.getFileID(loc));
      if (sm.isInMainFile(loc)) {
        in_main = true;
        continue;
      }
      only_main = false;
      if (shim && file == shim) {
        in_shim = true;
        continue;
      }
      std::vector<std::string> forms =
          file ? path_forms(std::string(file->getName())) : std::vector<std::string>{};
      for (const std::string& dir : options_->allow_dirs) {
        for (const std::string& form : forms) {
          if (llvm::StringRef(form).startswith(dir)) allowed = true;
        }
      }
      const std::string path = forms.empty() ? "" : forms.back();
      // The C and C++ libraries (memcpy, sqrtf, ...) are fine; libtorch's headers are not.
      if (sm.isInSystemHeader(loc) && !forbidden_path(path)) allowed = true;
    }
    if (in_shim) {
      ++findings_->shim_calls;
      return;
    }
    if (allowed) return;
    std::string name = fn->getQualifiedNameAsString();
    if (fn->isExternC()) {
      // An extern "C" function the model defines itself is its own code (e.g. an entry point).
      if (fn->isDefined()) return;
      findings_->problems.emplace_back(
          sort_key(sm, use), where + ": " + verb + " '" + name + "': extern \"C\" function declared at " +
                                 declared_at + " is not declared in the shim header " + options_->shim);
    } else if (in_main && only_main && !fn->isDefined() && !fn->isDeleted()) {
      // Declared in the model but defined nowhere in it: it would bind to another library
      // (unless another of the model's files defines it).
      findings_->undefined.push_back(
          {function_key(fn),
           {sort_key(sm, use), where + ": " + verb + " '" + name + "': declared at " + declared_at +
                                   " but not defined in the model, and not declared in the shim header " +
                                   options_->shim}});
    }
  }

 private:
  const ModelOptions* options_;
  ModelFindings* findings_;
};

class ModelAction : public clang::ASTFrontendAction {
 public:
  ModelAction(const ModelOptions* options, ModelFindings* findings)
      : options_(options), findings_(findings) {}
  bool BeginSourceFileAction(clang::CompilerInstance& ci) override {
    ci.getPreprocessor().addPPCallbacks(std::make_unique<IncludeGuard>(&ci.getSourceManager(), findings_));
    return true;
  }
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance&, llvm::StringRef) override {
    return std::make_unique<ModelConsumer>(options_, findings_);
  }

 private:
  const ModelOptions* options_;
  ModelFindings* findings_;
};

int cmd_model(ModelOptions options, const std::vector<std::string>& files,
              const std::vector<std::string>& extra) {
  std::string why;
  for (const std::string& file : files) {
    if (!readable_file(file, &why)) return fail(why);
  }
  if (!readable_file(options.shim, &why)) return fail(why);
  std::vector<std::string> allow_dirs;
  for (const std::string& dir : options.allow_dirs) {
    if (!llvm::sys::fs::is_directory(dir)) return fail("--allow-dir " + dir + ": not a directory");
    for (std::string form : path_forms(dir)) {
      if (form.back() != '/') form += '/';
      allow_dirs.push_back(form);
    }
  }
  options.allow_dirs = allow_dirs;
  ModelFindings findings;
  CollectingDiagnostics diags;
  bool compiled = true;
  for (const std::string& file : files) {
    options.model = file;
    if (!run_clang(file, extra, std::make_unique<ModelAction>(&options, &findings), &diags)) {
      compiled = false;
      if (diags.errors.empty()) std::cerr << "abi_check: " << file << ": does not compile\n";
    }
  }
  for (const auto& [key, problem] : findings.undefined) {
    if (findings.defined.count(key) == 0) findings.problems.push_back(problem);
  }
  std::stable_sort(findings.problems.begin(), findings.problems.end());
  for (const auto& problem : findings.problems) std::cerr << "abi_check: " << problem.second << "\n";
  for (const std::string& error : diags.errors) std::cerr << "abi_check: " << error << "\n";
  const std::string name =
      files.size() == 1 ? files[0] : files[0] + " and " + std::to_string(files.size() - 1) + " more";
  if (!findings.problems.empty() || !compiled) {
    std::cerr << "abi_check: " << name << ": " << findings.problems.size() << " ABI problem(s), "
              << diags.errors.size() << " compile error(s)\n";
    return 1;
  }
  std::cout << "abi_check: ok: " << name << " uses only the shim (" << findings.shim_calls
            << " shim call sites)\n";
  return 0;
}

// ------------------------------------------------------------------------------------------------

// Compiler flags accepted after the positional arguments: -I/-isystem/-D/-U (joined or separate).
bool take_compiler_flag(const std::vector<std::string>& args, size_t* i, std::vector<std::string>* out) {
  const std::string& a = args[*i];
  for (const char* flag : {"-isystem", "-iquote", "-I", "-D", "-U"}) {
    std::string f = flag;
    if (a == f) {
      if (*i + 1 >= args.size()) return false;
      out->push_back(f);
      out->push_back(args[++*i]);
      return true;
    }
    if (a.size() > f.size() && a.compare(0, f.size(), f) == 0) {
      out->push_back(a);
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage();
  const std::string command = args[0];
  if (command == "-h" || command == "--help") {
    usage();
    return 0;
  }
  std::vector<std::string> positional, extra;
  ModelOptions model;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (command == "model" && (a == "--shim" || a == "--allow-dir")) {
      if (i + 1 >= args.size()) return usage();
      (a == "--shim" ? model.shim : model.allow_dirs.emplace_back()) = args[++i];
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      if (!take_compiler_flag(args, &i, &extra)) {
        std::cerr << "abi_check: unknown option " << a << "\n";
        return usage();
      }
    } else {
      positional.push_back(a);
    }
  }
  if (command == "manifest" && positional.size() == 1) return cmd_manifest(positional[0], extra);
  if (command == "check" && positional.size() == 2) return cmd_check(positional[0], positional[1], extra);
  if (command == "model" && !positional.empty() && !model.shim.empty())
    return cmd_model(model, positional, extra);
  return usage();
}
