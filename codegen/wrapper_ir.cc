#include "codegen/wrapper_ir.h"

#include <fmt/format.h>

#include "ir/dtype.h"
#include "kernel/writer.h"

namespace aotic::codegen::wir {

using kernel::CodeWriter;
using kernel::cpp_double;
using kernel::cpp_string;

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string arg_text(const Arg& arg) {
  switch (arg.kind) {
    case Arg::Kind::kTensor:
    case Arg::Kind::kIntValue:
      return arg.value;
    case Arg::Kind::kInt:
      return std::to_string(arg.int_value);
    case Arg::Kind::kDouble:
      return cpp_double(arg.double_value);
    case Arg::Kind::kBool:
      return arg.bool_value ? "true" : "false";
    case Arg::Kind::kString:
      return cpp_string(arg.text);
    case Arg::Kind::kDType:
      return std::string(ir::dtype_name(arg.dtype));
    case Arg::Kind::kDevice:
      return arg.device.to_string();
    case Arg::Kind::kLayout:
      return fmt::format("layout({})", arg.int_value);
    case Arg::Kind::kMemoryFormat:
      return fmt::format("memory_format({})", arg.int_value);
    case Arg::Kind::kNull:
      return "None";
    case Arg::Kind::kScalarTensor:
      return fmt::format("tensor({}, {})", arg_text(arg.items.at(0)), ir::dtype_name(arg.dtype));
    case Arg::Kind::kOptional:
      return arg_text(arg.items.at(0));
    case Arg::Kind::kArray: {
      std::vector<std::string> items;
      for (const Arg& item : arg.items) items.push_back(arg_text(item));
      return "[" + join(items) + "]";
    }
  }
  return "?";
}

std::string sizes_text(const std::vector<ir::SymExpr>& exprs) {
  std::vector<std::string> items;
  items.reserve(exprs.size());
  for (const ir::SymExpr& e : exprs) items.push_back(e.to_string());
  return "[" + join(items) + "]";
}

void print_block(CodeWriter& w, const Block& block) {
  for (const Stmt& s : block) {
    std::vector<std::string> args;
    for (const Arg& a : s.args) args.push_back(arg_text(a));
    switch (s.kind) {
      case Stmt::Kind::kOp: {
        std::vector<std::string> outs;
        for (const ir::Argument& out : s.node->outputs) {
          for (const std::string& n : out.value_names()) outs.push_back(n);
        }
        std::vector<std::string> ins;
        for (const ir::NamedArgument& in : s.node->inputs) ins.push_back(in.arg.to_string());
        w.linef("op {} = {}({}){}{}", join(outs), s.schema ? s.schema->target() : s.node->op_name(),
                join(ins), s.view ? "  # view" : "", s.note.empty() ? "" : "  # " + s.note);
        break;
      }
      case Stmt::Kind::kAlloc:
        if (!s.reuse.empty()) {
          w.linef("alloc {} : reuse {}", s.value, s.reuse);
        } else {
          w.linef("alloc {} : {}{} strides {}{}", s.value, ir::dtype_name(s.buffer.dtype),
                  sizes_text(s.buffer.sizes), sizes_text(s.buffer.strides),
                  s.pool_offset >= 0 ? fmt::format(" at arena+{}", s.pool_offset) : "");
        }
        break;
      case Stmt::Kind::kCall:
      case Stmt::Kind::kView: {
        std::string outs = join(s.outs);
        if (s.list_out) {
          const std::vector<std::string> singles(s.outs.begin(), s.outs.begin() + s.list_start);
          const std::vector<std::string> list(s.outs.begin() + s.list_start, s.outs.end());
          outs = (singles.empty() ? "" : join(singles) + ", ") + "[" + join(list) + "]";
        }
        w.linef("{}{}{}({}){}", s.kind == Stmt::Kind::kView ? "view " : "call ",
                outs.empty() ? "" : outs + " = ", s.function, join(args),
                s.kind == Stmt::Kind::kView ? "  # aliases " + s.alias_of : "");
        break;
      }
      case Stmt::Kind::kKernel:
        w.linef("kernel {}({} -> {}){}", s.function, s.inputs.at(0), s.value,
                s.inplace ? "  # in place" : "");
        break;
      case Stmt::Kind::kLaunch:
        w.linef("launch {}({} -> {})", s.function, join(s.inputs), join(s.outs));
        break;
      case Stmt::Kind::kSize:
        w.linef("size {} = {}", s.value, s.expr.to_string());
        break;
      case Stmt::Kind::kReadInt:
        switch (s.read) {
          case Stmt::Read::kSize:
            w.linef("size {} = {}.size({})  # data-dependent", s.value, s.inputs.at(0), s.dim);
            break;
          case Stmt::Read::kStorageOffset:
            w.linef("size {} = {}.storage_offset()  # data-dependent", s.value, s.inputs.at(0));
            break;
          case Stmt::Read::kItem:
            w.linef("size {} = {}.item()  # data-dependent", s.value, s.inputs.at(0));
            break;
        }
        break;
      case Stmt::Kind::kAssert:
        w.linef("assert {}  # {}", s.pred, cpp_string(s.text));
        break;
      case Stmt::Kind::kCheck: {
        std::vector<std::string> sizes;
        for (size_t d = 0; d < s.buffer.sizes.size(); ++d) {
          sizes.push_back(s.checked.at(d) ? s.buffer.sizes[d].to_string() : "?");
        }
        w.linef("check {} : {}[{}]", s.value, ir::dtype_name(s.buffer.dtype), join(sizes));
        break;
      }
      case Stmt::Kind::kAlias:
        w.linef("alias {} = {}", s.value, s.alias_of);
        break;
      case Stmt::Kind::kFree:
        w.linef("free {}{}", s.value, s.reused_by.empty() ? "" : "  # reused by " + s.reused_by);
        break;
      case Stmt::Kind::kCond:
        w.open(fmt::format("cond {} = if {}", join(s.outs), s.pred));
        for (const Branch& b : s.branches) {
          w.open(fmt::format("{}({}) -> ({})", b.name, join(b.inputs), join(b.outputs)));
          print_block(w, b.body);
          w.close();
        }
        w.close();
        break;
      case Stmt::Kind::kReturn:
        w.linef("return {}", join(s.outs));
        break;
    }
  }
}

void collect_arg_reads(const Arg& arg, std::vector<std::string>* out) {
  if ((arg.kind == Arg::Kind::kTensor || arg.kind == Arg::Kind::kIntValue) && !arg.value.empty()) {
    out->push_back(arg.value);
  }
  for (const Arg& item : arg.items) collect_arg_reads(item, out);
}

}  // namespace

std::string BufferMeta::key() const {
  return fmt::format("{}@{}{} strides {}", ir::dtype_name(dtype), device.to_string(), sizes_text(sizes),
                     sizes_text(strides));
}

std::string to_text(const Module& module) {
  CodeWriter w;
  for (const Symbol& s : module.symbols) w.linef("symbol {} in {}..{}", s.name, s.min, s.max);
  for (size_t i = 0; i < module.inputs.size(); ++i) {
    const ir::TensorMeta& m = module.inputs[i].meta;
    w.linef("input {} : {}{}", module.inputs[i].name, ir::dtype_name(m.dtype), sizes_text(m.sizes));
  }
  for (const ConstantEntry& c : module.constants.entries) {
    w.linef("constant {} : {}{}  # {}", c.spec->arg.name, ir::dtype_name(c.weight->meta.dtype),
            sizes_text(c.weight->meta.sizes), c.spec->fqn);
  }
  for (const Module::Folded& f : module.folded) {
    w.linef("folded {} : {}{}", f.value, ir::dtype_name(f.meta.dtype), sizes_text(f.meta.sizes));
  }
  if (!module.fold.empty()) {
    w.open("fold");
    print_block(w, module.fold);
    w.close();
  }
  if (module.arena.bytes > 0) {
    w.linef("arena {} bytes for {} buffers ({} bytes allocated one by one)", module.arena.bytes,
            module.arena.buffers, module.arena.separate_bytes);
  }
  if (module.cuda_graphs) w.line("cuda graphs: runs are captured once and replayed");
  if (!module.cuda_graphs && !module.cuda_graphs_why.empty()) {
    w.linef("cuda graphs: no, {}", module.cuda_graphs_why);
  }
  print_block(w, module.body);
  std::string text = w.text();
  for (const kernel::Kernel& k : module.kernels) text += kernel::to_text(k);
  return text;
}

Stmt copy_call(const std::string& dst, const std::string& src) {
  Stmt copy;
  copy.kind = Stmt::Kind::kCall;
  copy.function = "aoti_torch_copy_";
  for (const std::string& name : {dst, src}) {
    Arg a;
    a.kind = Arg::Kind::kTensor;
    a.value = name;
    copy.args.push_back(a);
  }
  Arg non_blocking;
  non_blocking.kind = Arg::Kind::kInt;
  non_blocking.int_value = 0;
  copy.args.push_back(non_blocking);
  return copy;
}

std::vector<std::string> reads(const Stmt& stmt) {
  std::vector<std::string> out;
  switch (stmt.kind) {
    case Stmt::Kind::kOp:
      for (const ir::NamedArgument& in : stmt.node->inputs) {
        for (const std::string& n : in.arg.value_names()) out.push_back(n);
      }
      break;
    case Stmt::Kind::kCall:
    case Stmt::Kind::kView:
      for (const Arg& a : stmt.args) collect_arg_reads(a, &out);
      break;
    case Stmt::Kind::kKernel:
      out.push_back(stmt.inputs.at(0));
      out.push_back(stmt.value);
      break;
    case Stmt::Kind::kLaunch:
      out = stmt.inputs;
      out.insert(out.end(), stmt.outs.begin(), stmt.outs.end());
      break;
    case Stmt::Kind::kAlias:
      out.push_back(stmt.alias_of);
      break;
    case Stmt::Kind::kAlloc:
      if (!stmt.reuse.empty()) out.push_back(stmt.reuse);
      break;
    case Stmt::Kind::kCond:
      out.push_back(stmt.pred);
      // The operands: what the branches bind their inputs to is read by the cond itself.
      for (const std::string& n : stmt.inputs) out.push_back(n);
      break;
    case Stmt::Kind::kReturn:
      out = stmt.outs;
      break;
    case Stmt::Kind::kReadInt:
      out.push_back(stmt.inputs.at(0));
      break;
    case Stmt::Kind::kAssert:
      out.push_back(stmt.pred);
      break;
    case Stmt::Kind::kCheck:
      out.push_back(stmt.value);
      break;
    case Stmt::Kind::kSize:
    case Stmt::Kind::kFree:
      break;
  }
  return out;
}

std::vector<std::string> defines(const Stmt& stmt) {
  switch (stmt.kind) {
    case Stmt::Kind::kAlloc:
    case Stmt::Kind::kSize:
    case Stmt::Kind::kReadInt:
    case Stmt::Kind::kAlias:
      return {stmt.value};
    case Stmt::Kind::kCall:
    case Stmt::Kind::kView:
    case Stmt::Kind::kCond: {
      std::vector<std::string> out;
      for (const std::string& n : stmt.outs) {
        if (!n.empty()) out.push_back(n);
      }
      return out;
    }
    default:
      return {};
  }
}

}  // namespace aotic::codegen::wir
