#include "ir/weights.h"

#include <map>

#include "ir/error.h"
#include "ir/json_reader.h"
#include "ir/model_json.h"
#include "ir/safetensors.h"

namespace aotic::ir {
namespace {

constexpr const char* kWeightsConfig = "data/weights/model_weights_config.json";
constexpr const char* kConstantsConfig = "data/constants/model_constants_config.json";

bool needs_weight(InputKind kind) {
  return kind == InputKind::kParameter || kind == InputKind::kBuffer || kind == InputKind::kTensorConstant;
}

/// The graph's view of the weight (its placeholder's metadata).
const TensorMeta& graph_meta(const Program& program, const InputSpec& spec) {
  const TensorMeta* meta = program.graph.find_tensor(spec.arg.name);
  if (meta == nullptr) {
    user_error("{}: weight '{}': the graph has no tensor value '{}'", program.source, spec.fqn,
               spec.arg.name);
  }
  return *meta;
}

std::string shape_text(const std::vector<SymExpr>& sizes) {
  std::string out = "[";
  for (size_t i = 0; i < sizes.size(); ++i) out += (i ? ", " : "") + sizes[i].to_string();
  return out + "]";
}

/// The stored metadata must describe the same tensor the graph expects.
void check_meta_matches(const Program& program, const std::string& fqn, const TensorMeta& stored,
                        const TensorMeta& expected, const std::string& where) {
  if (!stored.is_static()) user_error("{}: weight '{}': {} has symbolic sizes", program.source, fqn, where);
  if (stored.dtype != expected.dtype) {
    user_error("{}: weight '{}': dtype {} in {} but {} in the graph", program.source, fqn,
               dtype_name(stored.dtype), where, dtype_name(expected.dtype));
  }
  if (stored.sizes != expected.sizes) {
    user_error("{}: weight '{}': shape {} in {} but {} in the graph", program.source, fqn,
               shape_text(stored.sizes), where, shape_text(expected.sizes));
  }
}

struct PayloadMeta {
  std::string entry;  // "data/weights/weight_0"
  bool is_param = false;
  TensorMeta meta;
};

/// FQN -> payload, from one config file (absent file: nothing).
void read_config(const Archive& archive, const std::string& config_entry, const std::string& folder,
                 std::map<std::string, PayloadMeta>& out) {
  if (!archive.contains(config_entry)) return;
  const std::string text = archive.read_text(config_entry);  // its errors name the entry already
  try {
    nlohmann::json doc = parse_json_document(text);
    JsonReader root(doc, "");
    root.at("config").for_each_member([&](const std::string& fqn, const JsonReader& v) {
      const JsonReader& item = v;
      if (item.has("use_pickle") && item.at("use_pickle").get_bool()) {
        item.fail("pickled payloads (custom objects, tensor subclasses) are not supported");
      }
      PayloadMeta p;
      std::string name = item.at("path_name").get_string();
      if (name.empty() || name.find("..") != std::string::npos || name[0] == '/') {
        item.at("path_name").fail(fmt::format("invalid payload path '{}'", name));
      }
      p.entry = folder + name;
      if (item.has("is_param")) p.is_param = item.at("is_param").get_bool();
      if (!item.has("tensor_meta") || item.at("tensor_meta").is_null()) item.fail("missing tensor_meta");
      p.meta = read_tensor_meta(item.at("tensor_meta"));
      out.insert_or_assign(fqn, std::move(p));
    });
  } catch (const UserError& e) {
    rethrow_in(e, archive.path() + ": " + config_entry);
  }
}

}  // namespace

void load_archive_weights(const Archive& archive, Program& program) {
  std::map<std::string, PayloadMeta> payloads;
  read_config(archive, kConstantsConfig, "data/constants/", payloads);
  read_config(archive, kWeightsConfig, "data/weights/", payloads);  // weights win on a clash

  std::map<std::string, std::shared_ptr<const Storage>> storages;  // entry -> bytes, read once
  for (const InputSpec& spec : program.signature.inputs) {
    if (!needs_weight(spec.kind)) continue;
    const TensorMeta& expected = graph_meta(program, spec);
    auto it = payloads.find(spec.fqn);
    if (it == payloads.end()) {
      user_error("{}: weight '{}' ({}) is missing: not in {} or {}", program.source, spec.fqn,
                 input_kind_name(spec.kind), kWeightsConfig, kConstantsConfig);
    }
    const PayloadMeta& payload = it->second;
    check_meta_matches(program, spec.fqn, payload.meta, expected, "its config");
    std::optional<int64_t> needed = payload.meta.static_storage_bytes();
    if (!needed)
      user_error("{}: weight '{}': invalid sizes or strides in its config", program.source, spec.fqn);

    std::shared_ptr<const Storage>& storage = storages[payload.entry];
    if (!storage) {
      std::optional<uint64_t> size = archive.entry_size(payload.entry);
      if (!size) user_error("{}: weight '{}': missing payload {}", program.source, spec.fqn, payload.entry);
      // The payload is the tensor's storage: at least the bytes its view spans (more when it is
      // a view into a larger storage).
      if (*size < static_cast<uint64_t>(*needed)) {
        user_error("{}: weight '{}': {} has {} bytes, its metadata needs {}", program.source, spec.fqn,
                   payload.entry, *size, *needed);
      }
      auto bytes = std::make_shared<Storage>(*size);
      archive.read_into(payload.entry, bytes->data(), *size);
      storage = std::move(bytes);
    } else if (storage->size() < static_cast<uint64_t>(*needed)) {
      user_error("{}: weight '{}': {} has {} bytes, its metadata needs {}", program.source, spec.fqn,
                 payload.entry, storage->size(), *needed);
    }
    program.weights.push_back(Weight{spec.fqn, payload.meta, payload.is_param, storage});
  }
}

void load_safetensors_weights(const std::string& path, Program& program) {
  SafetensorsFile file = SafetensorsFile::open(path);
  for (const InputSpec& spec : program.signature.inputs) {
    if (!needs_weight(spec.kind)) continue;
    const TensorMeta& expected = graph_meta(program, spec);
    const SafetensorsEntry* entry = file.find(spec.fqn);
    if (entry == nullptr) {
      user_error("{}: weight '{}' ({}) is missing from {}", program.source, spec.fqn,
                 input_kind_name(spec.kind), path);
    }
    TensorMeta meta;
    meta.dtype = entry->dtype;
    int64_t stride = 1;
    meta.sizes.resize(entry->shape.size());
    meta.strides.resize(entry->shape.size());
    for (size_t i = entry->shape.size(); i-- > 0;) {
      meta.sizes[i] = SymExpr::constant(entry->shape[i]);
      meta.strides[i] = SymExpr::constant(stride);
      stride *= std::max<int64_t>(entry->shape[i], 1);
    }
    meta.device = expected.device;
    check_meta_matches(program, spec.fqn, meta, expected, path);
    auto bytes = std::make_shared<Storage>(entry->nbytes);
    file.read(*entry, bytes->data());
    program.weights.push_back(Weight{spec.fqn, meta, spec.kind == InputKind::kParameter, std::move(bytes)});
  }
}

}  // namespace aotic::ir
