#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "aotic/runtime/model.h"

namespace aotic::runtime {
namespace {

/// Names of PyTorch's dtype codes, for messages.
const char* dtype_name(int32_t code) {
  switch (code) {
    case 0:
      return "uint8";
    case 1:
      return "int8";
    case 2:
      return "int16";
    case 3:
      return "int32";
    case 4:
      return "int64";
    case 5:
      return "float16";
    case 6:
      return "float32";
    case 7:
      return "float64";
    case 8:
      return "complex32";
    case 9:
      return "complex64";
    case 10:
      return "complex128";
    case 11:
      return "bool";
    case 15:
      return "bfloat16";
    default:
      return "unknown dtype";
  }
}

std::string device_name(int32_t code) {
  if (code == aoti_torch_device_type_cpu()) return "cpu";
  if (code == aoti_torch_device_type_cuda()) return "cuda";
  return "device type " + std::to_string(code);
}

}  // namespace

void RunState::check_inputs(AtenTensorHandle* inputs, size_t num_inputs) {
  if (num_inputs != static_cast<size_t>(spec_.num_inputs)) {
    throw RuntimeError("expected " + std::to_string(spec_.num_inputs) + " inputs, got " +
                       std::to_string(num_inputs));
  }
  for (int32_t s = 0; s < spec_.num_symbols; ++s) symbols_[s] = 0;
  std::vector<int32_t> bound_by(static_cast<size_t>(spec_.num_symbols), -1);
  for (int32_t i = 0; i < spec_.num_inputs; ++i) {
    const TensorSpec& want = spec_.inputs[i];
    const std::string where = "input " + std::to_string(i) + " '" + want.name + "'";
    AtenTensorHandle h = inputs[i];
    if (h == nullptr) throw RuntimeError(where + ": null tensor handle");
    int32_t dtype = 0, device = 0;
    int64_t rank = 0;
    check(aoti_torch_get_dtype(h, &dtype), "aoti_torch_get_dtype");
    if (dtype != want.dtype) {
      throw RuntimeError(where + ": dtype is " + dtype_name(dtype) + ", expected " + dtype_name(want.dtype));
    }
    check(aoti_torch_get_device_type(h, &device), "aoti_torch_get_device_type");
    if (device != want.device_type) {
      throw RuntimeError(
          where + ": on " + device_name(device) + ", expected " + device_name(want.device_type) +
          (want.device_type == aoti_torch_device_type_cuda() ? ":" + std::to_string(device_index_)
                                                             : std::string()));
    }
    if (device == aoti_torch_device_type_cuda()) {
      int32_t index = 0;
      check(aoti_torch_get_device_index(h, &index), "aoti_torch_get_device_index");
      if (index != device_index_) {
        throw RuntimeError(where + ": on cuda:" + std::to_string(index) +
                           ", but the model runs on cuda:" + std::to_string(device_index_));
      }
    }
    check(aoti_torch_get_dim(h, &rank), "aoti_torch_get_dim");
    if (rank != want.rank) {
      throw RuntimeError(where + ": rank is " + std::to_string(rank) + ", expected " +
                         std::to_string(want.rank));
    }
    int64_t* sizes = nullptr;
    check(aoti_torch_get_sizes(h, &sizes), "aoti_torch_get_sizes");
    for (int32_t d = 0; d < want.rank; ++d) {
      const DimSpec& dim = want.dims[d];
      const int64_t size = sizes[d];
      const std::string size_text = "size " + std::to_string(d) + " is " + std::to_string(size);
      if (dim.symbol < 0) {
        if (size != dim.size)
          throw RuntimeError(where + ": " + size_text + ", expected " + std::to_string(dim.size));
        continue;
      }
      const SymbolSpec& symbol = spec_.symbols[dim.symbol];
      const int64_t m = dim.multiplier, o = dim.offset;
      const bool plain = m == 1 && o == 0;
      const std::string expr = dim.expr != nullptr ? dim.expr : symbol.name;
      int32_t& first = bound_by[static_cast<size_t>(dim.symbol)];
      const int64_t bound = symbols_[static_cast<size_t>(dim.symbol)];
      if (first >= 0) {
        if (plain && size != bound) {
          throw RuntimeError(where + ": " + size_text + ", but " + symbol.name + " is " +
                             std::to_string(bound) + " from input " + std::to_string(first));
        }
        if (!plain && size != m * bound + o) {
          throw RuntimeError(where + ": " + size_text + ", expected " + expr + " = " +
                             std::to_string(m * bound + o) + " (" + symbol.name + " is " +
                             std::to_string(bound) + " from input " + std::to_string(first) + ")");
        }
        continue;
      }
      const int64_t value = m > 0 && (size - o) % m == 0 ? (size - o) / m : symbol.min - 1;
      if (value < symbol.min || value > symbol.max) {
        throw RuntimeError(where + ": " + size_text + ", allowed " +
                           (plain ? std::to_string(symbol.min) + ".." + std::to_string(symbol.max)
                                  : expr + " for " + symbol.name + " in " + std::to_string(symbol.min) +
                                        ".." + std::to_string(symbol.max)));
      }
      symbols_[static_cast<size_t>(dim.symbol)] = value;
      first = i;
    }
  }
}

void check_result(AtenTensorHandle t, const char* place, int32_t dtype, int32_t rank, const int64_t* sizes,
                  const char* const* exprs) {
  int32_t got_dtype = 0;
  int64_t got_rank = 0;
  check(aoti_torch_get_dtype(t, &got_dtype), "aoti_torch_get_dtype");
  const std::string where = std::string(place) + ": result ";
  if (got_dtype != dtype) {
    throw RuntimeError(where + "dtype " + dtype_name(got_dtype) + ", export recorded " + dtype_name(dtype));
  }
  check(aoti_torch_get_dim(t, &got_rank), "aoti_torch_get_dim");
  if (got_rank != rank) {
    throw RuntimeError(where + "rank " + std::to_string(got_rank) + ", export recorded " +
                       std::to_string(rank));
  }
  int64_t* got_sizes = nullptr;
  check(aoti_torch_get_sizes(t, &got_sizes), "aoti_torch_get_sizes");
  for (int32_t d = 0; d < rank; ++d) {
    if (sizes[d] < 0 || got_sizes[d] == sizes[d]) continue;
    const char* expr = exprs != nullptr ? exprs[d] : nullptr;
    throw RuntimeError(where + "size " + std::to_string(d) + " is " + std::to_string(got_sizes[d]) +
                       ", export recorded " + (expr != nullptr ? std::string(expr) + " = " : std::string()) +
                       std::to_string(sizes[d]));
  }
}

std::vector<TensorHandle> contiguous_copies(const ModelSpec& spec, AtenTensorHandle* inputs) {
  std::vector<TensorHandle> copies(static_cast<size_t>(spec.num_inputs));
  for (int32_t i = 0; i < spec.num_inputs; ++i) {
    if (!spec.inputs[i].needs_contiguous) continue;
    bool is_contiguous = false;
    check(aoti_torch_is_contiguous(inputs[i], &is_contiguous), "aoti_torch_is_contiguous");
    if (!is_contiguous) copies[static_cast<size_t>(i)] = contiguous(inputs[i]);
  }
  return copies;
}

ConstantSet constants_from_blob(const ModelSpec& spec, const uint8_t* blob) {
  ConstantSet set;
  set.reserve(static_cast<size_t>(spec.num_constants));
  for (int32_t i = 0; i < spec.num_constants; ++i) {
    const ConstantSpec& c = spec.constants[i];
    if (c.kind == ConstantKind::kFoldedConstant) {
      set.emplace_back();  // computed by the model's fold()
      continue;
    }
    if (blob == nullptr || c.blob_offset + c.nbytes > spec.blob_size) {
      throw RuntimeError(std::string("constant '") + c.fqn + "': its bytes are not in the constants blob");
    }
    TensorHandle t;
    // The blob is read-only memory of model.so; generated code never writes to constants.
    check(aoti_torch_create_tensor_from_blob(const_cast<uint8_t*>(blob + c.blob_offset), c.rank, c.sizes,
                                             c.strides, c.storage_offset, c.dtype,
                                             aoti_torch_device_type_cpu(), 0, t.out()),
          "aoti_torch_create_tensor_from_blob");
    set.push_back(std::move(t));
  }
  return set;
}

namespace {

/// A copy of `t` on GPU `device_index`, with its sizes and strides.
TensorHandle copy_to_gpu(AtenTensorHandle t, int32_t device_index) {
  int64_t rank = 0;
  int64_t* sizes = nullptr;
  int64_t* strides = nullptr;
  int32_t dtype = 0;
  check(aoti_torch_get_dim(t, &rank), "aoti_torch_get_dim");
  check(aoti_torch_get_sizes(t, &sizes), "aoti_torch_get_sizes");
  check(aoti_torch_get_strides(t, &strides), "aoti_torch_get_strides");
  check(aoti_torch_get_dtype(t, &dtype), "aoti_torch_get_dtype");
  TensorHandle copy;
  check(aoti_torch_empty_strided(rank, sizes, strides, dtype, aoti_torch_device_type_cuda(), device_index,
                                 copy.out()),
        "aoti_torch_empty_strided");
  check(aoti_torch_copy_(copy.get(), t, 0), "aoti_torch_copy_");
  return copy;
}

bool on_cpu(AtenTensorHandle t) {
  int32_t device = 0;
  check(aoti_torch_get_device_type(t, &device), "aoti_torch_get_device_type");
  return device == aoti_torch_device_type_cpu();
}

/// "cuda" -> 0, "cuda:1" -> 1; nullopt-like -1 for anything else.
int32_t cuda_index(const std::string& device) {
  if (device == "cuda") return 0;
  if (device.rfind("cuda:", 0) != 0 || device.size() == 5 || device.size() > 8) return -1;
  int32_t index = 0;
  for (size_t i = 5; i < device.size(); ++i) {
    if (device[i] < '0' || device[i] > '9') return -1;
    index = index * 10 + (device[i] - '0');
  }
  return index;
}

}  // namespace

ConstantSet on_model_device(const ModelSpec& spec, ConstantSet set, int32_t device_index) {
  if (spec.device_type != aoti_torch_device_type_cuda()) return set;
  for (TensorHandle& t : set) {
    if (t) t = copy_to_gpu(t.get(), device_index);
  }
  return set;
}

namespace {

/// The weights file named by the spec, in the folder of the model.so that holds the spec.
std::vector<uint64_t> read_external_weights(const ModelSpec& spec) {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&aotic_model_spec), &info) == 0 || info.dli_fname == nullptr) {
    throw RuntimeError("cannot find the folder of model.so to read its weights file");
  }
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  path = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + spec.weights_file;
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw RuntimeError("cannot open weights file '" + path + "'");
  std::vector<uint64_t> blob((spec.blob_size + 7) / 8);
  size_t read = std::fread(blob.data(), 1, spec.blob_size, file);
  bool longer = std::fgetc(file) != EOF;
  std::fclose(file);
  if (read != spec.blob_size || longer) {
    throw RuntimeError("weights file '" + path + "' does not hold the " + std::to_string(spec.blob_size) +
                       " bytes this model expects");
  }
  return blob;
}

}  // namespace

Container::Container(const ModelSpec& spec, size_t num_models, std::string device)
    : spec_(spec), device_(std::move(device)), num_models_(num_models) {
  if (num_models_ == 0) throw RuntimeError("num_models must be at least 1");
  if (spec_.device_type == aoti_torch_device_type_cuda()) {
    device_index_ = cuda_index(device_);
    if (device_index_ < 0) {
      throw RuntimeError("device '" + device_ + "' is not supported: this model was compiled for cuda");
    }
  } else if (device_ != "cpu" && device_.rfind("cpu:", 0) != 0) {
    throw RuntimeError("device '" + device_ + "' is not supported: this model was compiled for cpu");
  }
  const uint8_t* blob = spec_.blob;
  if (blob == nullptr && spec_.weights_file != nullptr) {
    external_blob_ = read_external_weights(spec_);
    blob = reinterpret_cast<const uint8_t*>(external_blob_.data());
  }
  active_ =
      std::make_unique<ConstantSet>(on_model_device(spec_, constants_from_blob(spec_, blob), device_index_));
  fold_into(*active_);
}

void Container::fold_into(ConstantSet& set) const {
  if (spec_.fold == nullptr) return;
  std::vector<size_t> folded;
  for (int32_t i = 0; i < spec_.num_constants; ++i) {
    if (spec_.constants[i].kind == ConstantKind::kFoldedConstant) folded.push_back(static_cast<size_t>(i));
  }
  std::vector<AtenTensorHandle> results(folded.size(), nullptr);
  RunState state(spec_, set.data(), nullptr, device_index_);
  try {
    spec_.fold(state, results.data());
  } catch (const RuntimeError& e) {
    for (AtenTensorHandle h : results) TensorHandle discard(h);  // frees what it made, if anything
    throw RuntimeError(std::string("folding constants: ") + e.what());
  }
  for (size_t j = 0; j < folded.size(); ++j) set[folded[j]] = TensorHandle(results[j]);
}

namespace {

/// New references to every handle of `set` (null stays null).
ConstantSet share(const ConstantSet& set) {
  ConstantSet copy;
  copy.reserve(set.size());
  for (const TensorHandle& t : set) copy.emplace_back(t ? new_reference(t.get()) : TensorHandle());
  return copy;
}

}  // namespace

void Container::fold_constants(bool use_inactive) {
  std::unique_lock<std::shared_mutex> lock(constants_mutex_);
  std::unique_ptr<ConstantSet>& target = use_inactive ? inactive_ : active_;
  if (!target) throw RuntimeError("there is no inactive constant buffer");
  // Folded into a copy that replaces the set only once fold() succeeded.
  auto next = std::make_unique<ConstantSet>(share(*target));
  fold_into(*next);
  target = std::move(next);
  if (!use_inactive) ++constants_generation_;
}

Container::~Container() {
  if (spec_.delete_instance_state == nullptr) return;
  for (void* state : idle_states_) spec_.delete_instance_state(state);
}

void Container::run(AtenTensorHandle* inputs, size_t num_inputs, AtenTensorHandle* outputs,
                    size_t num_outputs, void* stream) {
  // The inputs are stolen: released when this returns, whatever happens.
  std::vector<TensorHandle> owned;
  owned.reserve(num_inputs);
  for (size_t i = 0; i < num_inputs && inputs != nullptr; ++i) owned.emplace_back(inputs[i]);
  if (inputs == nullptr && num_inputs > 0) throw RuntimeError("null input array");
  if (outputs == nullptr && num_outputs > 0) throw RuntimeError("null output array");
  if (num_outputs != static_cast<size_t>(spec_.num_outputs)) {
    throw RuntimeError("expected " + std::to_string(spec_.num_outputs) + " outputs, got " +
                       std::to_string(num_outputs));
  }
  void* instance_state = nullptr;
  {
    std::unique_lock<std::mutex> lock(slots_mutex_);
    slot_free_.wait(lock, [&] { return busy_ < num_models_; });
    ++busy_;
    if (!idle_states_.empty()) {
      instance_state = idle_states_.back();
      idle_states_.pop_back();
    }
  }
  if (instance_state == nullptr && spec_.new_instance_state != nullptr) {
    instance_state = spec_.new_instance_state();
  }
  struct Release {
    Container* self;
    void* state;
    ~Release() {
      {
        std::lock_guard<std::mutex> lock(self->slots_mutex_);
        --self->busy_;
        if (state != nullptr) self->idle_states_.push_back(state);
      }
      self->slot_free_.notify_one();
    }
  } release{this, instance_state};

  std::shared_lock<std::shared_mutex> constants_lock(constants_mutex_);
  std::vector<int64_t> symbols(static_cast<size_t>(spec_.num_symbols));
  RunState state(spec_, active_->data(), symbols.data(), device_index_, stream, instance_state,
                 constants_generation_);
  state.check_inputs(inputs, num_inputs);
  // The generated code relies on the export's (contiguous) layout: other layouts run on a copy.
  std::vector<TensorHandle> copies = contiguous_copies(spec_, inputs);
  std::vector<AtenTensorHandle> run_inputs(inputs, inputs + num_inputs);
  for (size_t i = 0; i < copies.size(); ++i) {
    if (copies[i]) run_inputs[i] = copies[i].get();
  }
  spec_.run(state, run_inputs.data(), outputs);
}

int32_t Container::find_constant(const std::string& name) const {
  for (int32_t i = 0; i < spec_.num_constants; ++i) {
    if (name == spec_.constants[i].name || name == spec_.constants[i].fqn) return i;
  }
  return -1;
}

void Container::update_constants(const std::unordered_map<std::string, AtenTensorHandle>& map,
                                 bool use_inactive, bool validate_full_update) {
  std::vector<TensorHandle> replacement(static_cast<size_t>(spec_.num_constants));
  for (int32_t i = 0; i < spec_.num_constants; ++i) {
    const ConstantSpec& c = spec_.constants[i];
    if (c.kind == ConstantKind::kFoldedConstant) continue;  // recomputed from the others below
    auto it = map.find(c.name);
    if (it == map.end()) it = map.find(c.fqn);
    if (it == map.end()) {
      if (validate_full_update) {
        throw RuntimeError(std::string("constant '") + c.fqn + "' is missing from a full update");
      }
      continue;
    }
    const std::string where = std::string("constant '") + c.fqn + "'";
    if (it->second == nullptr) throw RuntimeError(where + ": null tensor handle");
    int32_t dtype = 0;
    int64_t rank = 0;
    int64_t* sizes = nullptr;
    check(aoti_torch_get_dtype(it->second, &dtype), "aoti_torch_get_dtype");
    check(aoti_torch_get_dim(it->second, &rank), "aoti_torch_get_dim");
    check(aoti_torch_get_sizes(it->second, &sizes), "aoti_torch_get_sizes");
    if (dtype != c.dtype) {
      throw RuntimeError(where + ": dtype is " + dtype_name(dtype) + ", expected " + dtype_name(c.dtype));
    }
    if (rank != c.rank || !std::equal(sizes, sizes + rank, c.sizes)) {
      throw RuntimeError(where + ": shape differs from the model's");
    }
    // A CUDA model's constants live on its GPU: a CPU tensor given for one is copied there.
    const bool upload = spec_.device_type == aoti_torch_device_type_cuda() && on_cpu(it->second);
    replacement[static_cast<size_t>(i)] =
        upload ? copy_to_gpu(it->second, device_index_) : new_reference(it->second);
  }

  std::unique_lock<std::shared_mutex> lock(constants_mutex_);
  std::unique_ptr<ConstantSet>& target = use_inactive ? inactive_ : active_;
  // The updated set is built aside (a partial update of an empty inactive set starts from the
  // active constants) and replaces the target only once fold() succeeded on it.
  auto next = std::make_unique<ConstantSet>(share(target ? *target : *active_));
  for (size_t i = 0; i < replacement.size(); ++i) {
    if (replacement[i]) (*next)[i] = std::move(replacement[i]);
  }
  fold_into(*next);
  target = std::move(next);
  if (!use_inactive) ++constants_generation_;
}

void Container::extract_constants(std::unordered_map<std::string, AtenTensorHandle>& out,
                                  bool use_inactive) const {
  std::shared_lock<std::shared_mutex> lock(constants_mutex_);
  const ConstantSet* set = use_inactive ? inactive_.get() : active_.get();
  if (set == nullptr) throw RuntimeError("there is no inactive constant buffer");
  for (int32_t i = 0; i < spec_.num_constants; ++i) {
    out.emplace(spec_.constants[i].fqn, (*set)[static_cast<size_t>(i)].get());
  }
}

void Container::swap_constants() {
  std::unique_lock<std::shared_mutex> lock(constants_mutex_);
  if (!inactive_) throw RuntimeError("there is no inactive constant buffer to swap in");
  std::swap(active_, inactive_);
  ++constants_generation_;
}

void Container::free_inactive_constants() {
  std::unique_lock<std::shared_mutex> lock(constants_mutex_);
  inactive_.reset();
}

void Container::update_constants_from_blob(const uint8_t* blob) {
  if (blob == nullptr) throw RuntimeError("null constants blob");
  if (spec_.device_type == aoti_torch_device_type_cuda()) {
    // Copied to the GPU straight from the caller's blob (synchronously: it may be freed after).
    auto set = std::make_unique<ConstantSet>(
        on_model_device(spec_, constants_from_blob(spec_, blob), device_index_));
    fold_into(*set);
    std::unique_lock<std::shared_mutex> lock(constants_mutex_);
    active_ = std::move(set);
    ++constants_generation_;
    return;
  }
  // Each constant gets its own storage holding a copy of its bytes, so the caller's blob may be
  // freed right after this returns.
  auto set = std::make_unique<ConstantSet>();
  for (int32_t i = 0; i < spec_.num_constants; ++i) {
    const ConstantSpec& c = spec_.constants[i];
    if (c.kind == ConstantKind::kFoldedConstant) {
      set->emplace_back();
      continue;
    }
    const int64_t nbytes = static_cast<int64_t>(c.nbytes);
    const int64_t unit = 1;
    TensorHandle storage;
    check(aoti_torch_empty_strided(1, &nbytes, &unit, aoti_torch_dtype_uint8(), aoti_torch_device_type_cpu(),
                                   0, storage.out()),
          "aoti_torch_empty_strided");
    void* data = nullptr;
    check(aoti_torch_get_data_ptr(storage.get(), &data), "aoti_torch_get_data_ptr");
    std::memcpy(data, blob + c.blob_offset, c.nbytes);
    TensorHandle t;
    const int64_t offset_bytes =
        c.storage_offset * static_cast<int64_t>(aoti_torch_dtype_element_size(c.dtype));
    check(aoti_torch__alloc_from_pool(storage.get(), offset_bytes, c.dtype, c.rank, c.sizes, c.strides,
                                      t.out()),
          "aoti_torch__alloc_from_pool");
    set->push_back(std::move(t));
  }
  fold_into(*set);
  std::unique_lock<std::shared_mutex> lock(constants_mutex_);
  active_ = std::move(set);
  ++constants_generation_;
}

}  // namespace aotic::runtime
