// The core shim functions through their C ABI only (no ATen in this file): results, error codes
// and recorded messages. Run under --config=asan this also checks for leaks.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "aotic/c_shim_cpu.h"
#include "aotic/c_shim_cuda.h"
#include "aotic/shim.h"

namespace {

/// Owns a handle for the length of a test.
struct Owned {
  AtenTensorHandle h = nullptr;
  Owned() = default;
  explicit Owned(AtenTensorHandle handle) : h(handle) {}
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() {
    if (h != nullptr) aoti_torch_delete_tensor_object(h);
  }
  AtenTensorHandle* out() { return &h; }
};

std::string last_error() { return aotic_shim_last_error(); }

/// A contiguous float32 CPU tensor holding `values` with `sizes` (new, owned by the caller).
AtenTensorHandle make_float(const std::vector<int64_t>& sizes, const std::vector<float>& values) {
  std::vector<int64_t> strides(sizes.size(), 1);
  for (size_t i = sizes.size(); i-- > 1;) strides[i - 1] = strides[i] * sizes[i];
  AtenTensorHandle h = nullptr;
  REQUIRE(aoti_torch_empty_strided(static_cast<int64_t>(sizes.size()), sizes.data(), strides.data(),
                                   aoti_torch_dtype_float32(), aoti_torch_device_type_cpu(), 0,
                                   &h) == AOTI_TORCH_SUCCESS);
  void* data = nullptr;
  REQUIRE(aoti_torch_get_data_ptr(h, &data) == AOTI_TORCH_SUCCESS);
  if (!values.empty()) std::memcpy(data, values.data(), values.size() * sizeof(float));
  return h;
}

std::vector<float> read_float(AtenTensorHandle h) {
  Owned contiguous;
  // clone_preserve_strides keeps layout; a copy into a fresh contiguous tensor normalises it.
  int64_t dim = 0, numel = 0;
  REQUIRE(aoti_torch_get_dim(h, &dim) == AOTI_TORCH_SUCCESS);
  REQUIRE(aoti_torch_get_numel(h, &numel) == AOTI_TORCH_SUCCESS);
  int64_t* sizes = nullptr;
  REQUIRE(aoti_torch_get_sizes(h, &sizes) == AOTI_TORCH_SUCCESS);
  std::vector<int64_t> size_vec(sizes, sizes + dim);
  contiguous.h = make_float(size_vec, {});
  REQUIRE(aoti_torch_copy_(contiguous.h, h, 0) == AOTI_TORCH_SUCCESS);
  void* data = nullptr;
  REQUIRE(aoti_torch_get_data_ptr(contiguous.h, &data) == AOTI_TORCH_SUCCESS);
  const float* f = static_cast<const float*>(data);
  return std::vector<float>(f, f + numel);
}

struct Quiet {
  Quiet() { setenv("AOTIC_SHIM_QUIET", "1", 1); }
} quiet_errors;  // error-path tests would otherwise print every message

TEST_CASE("constants have PyTorch 2.11's values") {
  CHECK(aoti_torch_device_type_cpu() == 0);
  CHECK(aoti_torch_device_type_cuda() == 1);
  CHECK(aoti_torch_device_type_meta() == 14);
  CHECK(aoti_torch_device_type_xpu() == 12);
  CHECK(aoti_torch_device_type_mps() == 13);
  CHECK(aoti_torch_device_type_privateuse1() == 20);
  CHECK(aoti_torch_dtype_uint8() == 0);
  CHECK(aoti_torch_dtype_int8() == 1);
  CHECK(aoti_torch_dtype_int16() == 2);
  CHECK(aoti_torch_dtype_int32() == 3);
  CHECK(aoti_torch_dtype_int64() == 4);
  CHECK(aoti_torch_dtype_float16() == 5);
  CHECK(aoti_torch_dtype_float32() == 6);
  CHECK(aoti_torch_dtype_float64() == 7);
  CHECK(aoti_torch_dtype_complex32() == 8);
  CHECK(aoti_torch_dtype_complex64() == 9);
  CHECK(aoti_torch_dtype_complex128() == 10);
  CHECK(aoti_torch_dtype_bool() == 11);
  CHECK(aoti_torch_dtype_bfloat16() == 15);
  CHECK(aoti_torch_dtype_float8_e5m2() == 23);
  CHECK(aoti_torch_dtype_float8_e4m3fn() == 24);
  CHECK(aoti_torch_dtype_float8_e5m2fnuz() == 25);
  CHECK(aoti_torch_dtype_float8_e4m3fnuz() == 26);
  CHECK(aoti_torch_dtype_uint16() == 27);
  CHECK(aoti_torch_dtype_uint32() == 28);
  CHECK(aoti_torch_dtype_uint64() == 29);
  CHECK(aoti_torch_layout_strided() == 0);
  CHECK(aoti_torch_layout_sparse_coo() == 1);
  CHECK(aoti_torch_layout_sparse_csr() == 2);
  CHECK(aoti_torch_layout__mkldnn() == 3);
  CHECK(aoti_torch_layout_sparse_csc() == 4);
  CHECK(aoti_torch_layout_sparse_bsr() == 5);
  CHECK(aoti_torch_layout_sparse_bsc() == 6);
  CHECK(aoti_torch_layout_jagged() == 7);
  CHECK(aoti_torch_memory_format_contiguous_format() == 0);
  CHECK(aoti_torch_memory_format_preserve_format() == 1);
  CHECK(aoti_torch_memory_format_channels_last() == 2);
  CHECK(aoti_torch_memory_format_channels_last_3d() == 3);
  CHECK(aoti_torch_abi_version() == 1);
  CHECK(aoti_torch_dtype_element_size(aoti_torch_dtype_float32()) == 4);
  CHECK(aoti_torch_dtype_element_size(aoti_torch_dtype_complex128()) == 16);
  CHECK(aoti_torch_dtype_element_size(aoti_torch_dtype_uint16()) == 2);
  CHECK(aoti_torch_dtype_element_size(99) == 0);
  CHECK(last_error() == "aoti_torch_dtype_element_size: unknown dtype code 99");
}

TEST_CASE("metadata getters") {
  Owned t(make_float({2, 3}, {1, 2, 3, 4, 5, 6}));
  int64_t v = 0;
  int32_t c = -1;
  bool b = false;
  CHECK(aoti_torch_get_dim(t.h, &v) == AOTI_TORCH_SUCCESS);
  CHECK(v == 2);
  CHECK(aoti_torch_get_numel(t.h, &v) == AOTI_TORCH_SUCCESS);
  CHECK(v == 6);
  CHECK(aoti_torch_get_storage_numel(t.h, &v) == AOTI_TORCH_SUCCESS);
  CHECK(v == 6);
  CHECK(aoti_torch_get_storage_size(t.h, &v) == AOTI_TORCH_SUCCESS);
  CHECK(v == 24);
  CHECK(aoti_torch_get_size(t.h, 1, &v) == AOTI_TORCH_SUCCESS);
  CHECK(v == 3);
  CHECK(aoti_torch_get_size(t.h, -1, &v) == AOTI_TORCH_SUCCESS);
  CHECK(v == 3);
  CHECK(aoti_torch_get_stride(t.h, 0, &v) == AOTI_TORCH_SUCCESS);
  CHECK(v == 3);
  int64_t* sizes = nullptr;
  int64_t* strides = nullptr;
  CHECK(aoti_torch_get_sizes(t.h, &sizes) == AOTI_TORCH_SUCCESS);
  CHECK(aoti_torch_get_strides(t.h, &strides) == AOTI_TORCH_SUCCESS);
  CHECK(sizes[0] == 2);
  CHECK(strides[1] == 1);
  CHECK(aoti_torch_get_storage_offset(t.h, &v) == AOTI_TORCH_SUCCESS);
  CHECK(v == 0);
  CHECK(aoti_torch_get_dtype(t.h, &c) == AOTI_TORCH_SUCCESS);
  CHECK(c == aoti_torch_dtype_float32());
  CHECK(aoti_torch_get_device_type(t.h, &c) == AOTI_TORCH_SUCCESS);
  CHECK(c == aoti_torch_device_type_cpu());
  CHECK(aoti_torch_get_device_index(t.h, &c) == AOTI_TORCH_SUCCESS);
  CHECK(aoti_torch_get_layout(t.h, &c) == AOTI_TORCH_SUCCESS);
  CHECK(c == aoti_torch_layout_strided());
  CHECK(aoti_torch_is_contiguous(t.h, &b) == AOTI_TORCH_SUCCESS);
  CHECK(b);
  CHECK(aoti_torch_is_defined(t.h, &b) == AOTI_TORCH_SUCCESS);
  CHECK(b);

  SUBCASE("errors") {
    CHECK(aoti_torch_get_size(t.h, 2, &v) == AOTI_TORCH_FAILURE);
    CHECK(last_error().rfind("aoti_torch_get_size: Dimension out of range", 0) == 0);
    CHECK(aoti_torch_get_dim(nullptr, &v) == AOTI_TORCH_FAILURE);
    CHECK(last_error() == "aoti_torch_get_dim: null tensor handle for 'tensor'");
    CHECK(aoti_torch_get_dim(t.h, nullptr) == AOTI_TORCH_FAILURE);
    CHECK(last_error() == "aoti_torch_get_dim: null output pointer 'ret_dim'");
    CHECK(aoti_torch_get_numel(t.h, &v) == AOTI_TORCH_SUCCESS);
    CHECK(last_error().empty());  // a success clears the message
  }
}

TEST_CASE("handles: new references, uninitialized, assign, delete") {
  Owned t(make_float({2}, {1, 2}));
  Owned alias;
  REQUIRE(aoti_torch_new_tensor_handle(t.h, alias.out()) == AOTI_TORCH_SUCCESS);
  void *p1 = nullptr, *p2 = nullptr;
  aoti_torch_get_data_ptr(t.h, &p1);
  aoti_torch_get_data_ptr(alias.h, &p2);
  CHECK(p1 == p2);
  Owned empty;
  REQUIRE(aoti_torch_new_uninitialized_tensor(empty.out()) == AOTI_TORCH_SUCCESS);
  bool defined = true;
  CHECK(aoti_torch_is_defined(empty.h, &defined) == AOTI_TORCH_SUCCESS);
  CHECK_FALSE(defined);
  CHECK(aoti_torch_assign_tensors(t.h, empty.h) == AOTI_TORCH_SUCCESS);
  CHECK(aoti_torch_is_defined(empty.h, &defined) == AOTI_TORCH_SUCCESS);
  CHECK(defined);
  Owned out;
  CHECK(aoti_torch_assign_tensors_out(t.h, out.out()) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(out.h) == std::vector<float>{1, 2});
  CHECK(aoti_torch_delete_tensor_object(nullptr) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_delete_tensor_object: null tensor handle");
}

TEST_CASE("empty_strided and its errors") {
  int64_t sizes[] = {2, 3};
  int64_t strides[] = {1, 2};  // column-major
  Owned t;
  REQUIRE(aoti_torch_empty_strided(2, sizes, strides, aoti_torch_dtype_int64(), 0, 0, t.out()) ==
          AOTI_TORCH_SUCCESS);
  int64_t stride = 0;
  aoti_torch_get_stride(t.h, 1, &stride);
  CHECK(stride == 2);
  bool contiguous = true;
  aoti_torch_is_contiguous(t.h, &contiguous);
  CHECK_FALSE(contiguous);
  Owned bad;
  CHECK(aoti_torch_empty_strided(2, sizes, strides, 99, 0, 0, bad.out()) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_empty_strided: unknown dtype code 99");
  CHECK(aoti_torch_empty_strided(2, sizes, strides, aoti_torch_dtype_uint16(), 0, 0, bad.out()) ==
        AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_empty_strided: dtype uint16 is not supported by this libtorch");
  CHECK(aoti_torch_empty_strided(2, sizes, strides, 6, 42, 0, bad.out()) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_empty_strided: unknown device type code 42");
  CHECK(aoti_torch_empty_strided(2, sizes, strides, 6, 0, 1, bad.out()) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_empty_strided: invalid CPU device index 1");
  CHECK(aoti_torch_empty_strided(2, nullptr, strides, 6, 0, 0, bad.out()) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_empty_strided: null pointer for 'sizes'");
  CHECK(aoti_torch_empty_strided(-1, sizes, strides, 6, 0, 0, bad.out()) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_empty_strided: negative length for 'sizes'");
  CHECK(aoti_torch_empty_strided(2, sizes, strides, 6, 0, 0, nullptr) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_empty_strided: null output pointer 'ret_new_tensor'");
  CHECK(bad.h == nullptr);
}

TEST_CASE("views: reinterpret, alloc_from_pool, as_strided") {
  Owned t(make_float({2, 3}, {0, 1, 2, 3, 4, 5}));
  int64_t sizes[] = {3, 2};
  int64_t strides[] = {1, 3};  // the transpose
  Owned v;
  REQUIRE(aoti_torch__reinterpret_tensor(t.h, 2, sizes, strides, 0, v.out()) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(v.h) == std::vector<float>{0, 3, 1, 4, 2, 5});
  int64_t one[] = {2};
  int64_t unit[] = {1};
  Owned tail;
  REQUIRE(aoti_torch__reinterpret_tensor(t.h, 1, one, unit, 4, tail.out()) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(tail.h) == std::vector<float>{4, 5});
  Owned bad;
  CHECK(aoti_torch__reinterpret_tensor(t.h, 1, one, unit, 5, bad.out()) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch__reinterpret_tensor: view of 28 bytes exceeds its storage of 24 bytes");

  // A pool of 64 bytes carved into a float32[2] at byte 8 and an int32[4] at byte 16.
  int64_t pool_size[] = {64};
  Owned pool;
  REQUIRE(aoti_torch_empty_strided(1, pool_size, unit, aoti_torch_dtype_uint8(), 0, 0, pool.out()) ==
          AOTI_TORCH_SUCCESS);
  Owned a, b;
  REQUIRE(aoti_torch__alloc_from_pool(pool.h, 8, aoti_torch_dtype_float32(), 1, one, unit, a.out()) ==
          AOTI_TORCH_SUCCESS);
  int64_t four[] = {4};
  REQUIRE(aoti_torch__alloc_from_pool(pool.h, 16, aoti_torch_dtype_int32(), 1, four, unit, b.out()) ==
          AOTI_TORCH_SUCCESS);
  void *pool_data = nullptr, *a_data = nullptr, *b_data = nullptr;
  aoti_torch_get_data_ptr(pool.h, &pool_data);
  aoti_torch_get_data_ptr(a.h, &a_data);
  aoti_torch_get_data_ptr(b.h, &b_data);
  CHECK(static_cast<char*>(a_data) - static_cast<char*>(pool_data) == 8);
  CHECK(static_cast<char*>(b_data) - static_cast<char*>(pool_data) == 16);
  int32_t dtype = -1;
  aoti_torch_get_dtype(b.h, &dtype);
  CHECK(dtype == aoti_torch_dtype_int32());
  CHECK(aoti_torch__alloc_from_pool(pool.h, 6, aoti_torch_dtype_float32(), 1, one, unit, bad.out()) ==
        AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch__alloc_from_pool: offset 6 is not a multiple of the element size 4");
  CHECK(aoti_torch__alloc_from_pool(pool.h, 60, aoti_torch_dtype_float32(), 1, one, unit, bad.out()) ==
        AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch__alloc_from_pool: view of 68 bytes exceeds its storage of 64 bytes");

  Owned s;
  int64_t s_sizes[] = {2, 2};
  int64_t s_strides[] = {3, 1};
  REQUIRE(aoti_torch_as_strided(t.h, s_sizes, s_strides, s.out()) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(s.h) == std::vector<float>{0, 1, 3, 4});
}

TEST_CASE("tensors over caller memory") {
  float data[6] = {1, 2, 3, 4, 5, 6};
  int64_t sizes[] = {2, 2};
  int64_t strides[] = {2, 1};
  Owned t;
  INFO(last_error());
  REQUIRE(aoti_torch_create_tensor_from_blob(data, 2, sizes, strides, 2, aoti_torch_dtype_float32(), 0, 0,
                                             t.out()) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(t.h) == std::vector<float>{3, 4, 5, 6});
  CHECK(aoti_torch_zero_(t.h) == AOTI_TORCH_SUCCESS);
  CHECK(data[2] == 0.0f);  // writes go to the caller's memory
  CHECK(data[1] == 2.0f);
  Owned v2;
  REQUIRE(aoti_torch_create_tensor_from_blob_v2(data, 2, sizes, strides, 0, aoti_torch_dtype_float32(), 0, 0,
                                                v2.out(), aoti_torch_layout_strided(), nullptr,
                                                0) == AOTI_TORCH_SUCCESS);
  Owned bad;
  CHECK(aoti_torch_create_tensor_from_blob(nullptr, 2, sizes, strides, 0, 6, 0, 0, bad.out()) ==
        AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_create_tensor_from_blob: null data for a non-empty tensor");
  CHECK(aoti_torch_create_tensor_from_blob_v2(data, 2, sizes, strides, 0, 6, 0, 0, bad.out(),
                                              aoti_torch_layout__mkldnn(), nullptr, 0) == AOTI_TORCH_FAILURE);
  CHECK(last_error() ==
        "aoti_torch_create_tensor_from_blob_v2: only the strided layout is supported (got layout code 3)");
  CHECK(aoti_torch_create_tensor_from_blob_v2(data, 2, sizes, strides, 0, 6, 0, 0, bad.out(),
                                              aoti_torch_layout_jagged(), nullptr, 0) == AOTI_TORCH_FAILURE);
  CHECK(last_error() ==
        "aoti_torch_create_tensor_from_blob_v2: jagged layout is not supported by this libtorch");
}

TEST_CASE("items and scalars") {
  Owned f;
  REQUIRE(aoti_torch_scalar_to_tensor_float32(2.5f, f.out()) == AOTI_TORCH_SUCCESS);
  float fv = 0;
  double dv = 0;
  int64_t iv = 0;
  CHECK(aoti_torch_item_float32(f.h, &fv) == AOTI_TORCH_SUCCESS);
  CHECK(fv == 2.5f);
  CHECK(aoti_torch_item_float64(f.h, &dv) == AOTI_TORCH_SUCCESS);
  CHECK(dv == 2.5);
  CHECK(aoti_torch_item_int64(f.h, &iv) == AOTI_TORCH_SUCCESS);
  CHECK(iv == 2);
  Owned i;
  REQUIRE(aoti_torch_scalar_to_tensor_int64(-7, i.out()) == AOTI_TORCH_SUCCESS);
  int32_t i32 = 0;
  int16_t i16 = 0;
  int8_t i8 = 0;
  uint8_t u8 = 0;
  CHECK(aoti_torch_item_int32(i.h, &i32) == AOTI_TORCH_SUCCESS);
  CHECK(i32 == -7);
  CHECK(aoti_torch_item_int16(i.h, &i16) == AOTI_TORCH_SUCCESS);
  CHECK(i16 == -7);
  CHECK(aoti_torch_item_int8(i.h, &i8) == AOTI_TORCH_SUCCESS);
  CHECK(i8 == -7);
  Owned u;
  REQUIRE(aoti_torch_scalar_to_tensor_uint8(200, u.out()) == AOTI_TORCH_SUCCESS);
  CHECK(aoti_torch_item_uint8(u.h, &u8) == AOTI_TORCH_SUCCESS);
  CHECK(u8 == 200);
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  CHECK(aoti_torch_item_uint16(u.h, &u16) == AOTI_TORCH_SUCCESS);
  CHECK(u16 == 200);
  CHECK(aoti_torch_item_uint32(u.h, &u32) == AOTI_TORCH_SUCCESS);
  CHECK(u32 == 200);
  CHECK(aoti_torch_item_uint64(u.h, &u64) == AOTI_TORCH_SUCCESS);
  CHECK(u64 == 200);
  Owned bl;
  bool bv = false;
  REQUIRE(aoti_torch_scalar_to_tensor_bool(true, bl.out()) == AOTI_TORCH_SUCCESS);
  CHECK(aoti_torch_item_bool(bl.h, &bv) == AOTI_TORCH_SUCCESS);
  CHECK(bv);
  Owned other;
  CHECK(aoti_torch_scalar_to_tensor_float64(1.25, other.out()) == AOTI_TORCH_SUCCESS);
  Owned o2, o3, o4;
  CHECK(aoti_torch_scalar_to_tensor_int32(3, o2.out()) == AOTI_TORCH_SUCCESS);
  CHECK(aoti_torch_scalar_to_tensor_int16(3, o3.out()) == AOTI_TORCH_SUCCESS);
  CHECK(aoti_torch_scalar_to_tensor_int8(3, o4.out()) == AOTI_TORCH_SUCCESS);
  Owned bad;
  CHECK(aoti_torch_scalar_to_tensor_uint32(3, bad.out()) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_scalar_to_tensor_uint32: dtype uint32 is not supported by this libtorch");

  Owned many(make_float({2}, {1, 2}));
  CHECK(aoti_torch_item_float32(many.h, &fv) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_item_float32: item of a tensor with 2 elements (expected exactly 1)");
  CHECK(aoti_torch_item_float32(f.h, nullptr) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_item_float32: null output pointer 'ret_value'");
}

TEST_CASE("copies, clones and out= helpers") {
  Owned a(make_float({2, 2}, {1, 2, 3, 4}));
  Owned b(make_float({2, 2}, {}));
  CHECK(aoti_torch_tensor_copy_(a.h, b.h) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(b.h) == std::vector<float>{1, 2, 3, 4});
  CHECK(aoti_torch_zero_(b.h) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(b.h) == std::vector<float>{0, 0, 0, 0});
  CHECK(aoti_torch_copy_(b.h, a.h, 0) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(b.h) == std::vector<float>{1, 2, 3, 4});
  Owned c;
  REQUIRE(aoti_torch_clone(a.h, c.out()) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(c.h) == std::vector<float>{1, 2, 3, 4});

  // clone_preserve_strides keeps a transposed layout.
  int64_t sizes[] = {2, 2};
  int64_t strides[] = {1, 2};
  Owned t;
  REQUIRE(aoti_torch__reinterpret_tensor(a.h, 2, sizes, strides, 0, t.out()) == AOTI_TORCH_SUCCESS);
  Owned kept;
  REQUIRE(aoti_torch_clone_preserve_strides(t.h, kept.out()) == AOTI_TORCH_SUCCESS);
  int64_t stride = 0;
  aoti_torch_get_stride(kept.h, 1, &stride);
  CHECK(stride == 2);
  CHECK(read_float(kept.h) == std::vector<float>{1, 3, 2, 4});

  // out = a @ b + c @ d
  Owned out(make_float({2, 2}, {}));
  Owned eye(make_float({2, 2}, {1, 0, 0, 1}));
  CHECK(aoti_torch__mm_plus_mm_out(out.h, a.h, eye.h, eye.h, a.h) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(out.h) == std::vector<float>{2, 4, 6, 8});
  Owned wrong(make_float({3}, {}));
  CHECK(aoti_torch_tensor_copy_(wrong.h, b.h) == AOTI_TORCH_FAILURE);
  CHECK(last_error().rfind("aoti_torch_tensor_copy_: The size of tensor a (2) must match", 0) == 0);
}

TEST_CASE("scatter and index_put out= functions") {
  Owned self(make_float({4}, {0, 0, 0, 0}));
  Owned src(make_float({2}, {5, 7}));
  int64_t two[] = {2};
  int64_t unit[] = {1};
  Owned index;
  REQUIRE(aoti_torch_empty_strided(1, two, unit, aoti_torch_dtype_int64(), 0, 0, index.out()) ==
          AOTI_TORCH_SUCCESS);
  void* index_data = nullptr;
  aoti_torch_get_data_ptr(index.h, &index_data);
  static_cast<int64_t*>(index_data)[0] = 3;
  static_cast<int64_t*>(index_data)[1] = 1;
  Owned out(make_float({4}, {}));
  CHECK(aoti_torch_scatter_out(out.h, self.h, 0, index.h, src.h) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(out.h) == std::vector<float>{0, 7, 0, 5});
  Owned base(make_float({4}, {1, 1, 1, 1}));
  CHECK(aoti_torch_scatter_reduce_out(out.h, base.h, 0, index.h, src.h, "sum", 1) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(out.h) == std::vector<float>{1, 8, 1, 6});
  CHECK(aoti_torch_scatter_reduce_out(out.h, base.h, 0, index.h, src.h, "bogus", 1) == AOTI_TORCH_FAILURE);
  CHECK(aoti_torch_scatter_reduce_out(out.h, base.h, 0, index.h, src.h, nullptr, 1) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_scatter_reduce_out: null reduce");
  AtenTensorHandle indices[] = {index.h};
  CHECK(aoti_torch_index_put_out(out.h, base.h, indices, 1, src.h, true) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(out.h) == std::vector<float>{1, 8, 1, 6});
  CHECK(aoti_torch_index_put_out(out.h, base.h, nullptr, 1, src.h, true) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_index_put_out: null pointer for 'indices'");
}

TEST_CASE("grad mode, inf/nan checks, printing and warnings") {
  bool before = aoti_torch_grad_mode_is_enabled();
  aoti_torch_grad_mode_set_enabled(false);
  CHECK_FALSE(aoti_torch_grad_mode_is_enabled());
  aoti_torch_grad_mode_set_enabled(true);
  CHECK(aoti_torch_grad_mode_is_enabled());
  aoti_torch_grad_mode_set_enabled(before);

  Owned fine(make_float({2}, {1, 2}));
  CHECK(aoti_torch_check_inf_and_nan("fine", fine.h) == AOTI_TORCH_SUCCESS);
  Owned nan(make_float({2}, {1, std::nanf("")}));
  CHECK(aoti_torch_check_inf_and_nan("buf3", nan.h) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_check_inf_and_nan: tensor 'buf3' contains NaN");
  Owned inf(make_float({1}, {INFINITY}));
  CHECK(aoti_torch_check_inf_and_nan("buf4", inf.h) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aoti_torch_check_inf_and_nan: tensor 'buf4' contains Inf");
  aoti_torch_print_tensor_handle(fine.h, "fine");
  aoti_torch_print_tensor_handle(nullptr, "null");
  aoti_torch_warn("f", "file.cc", 3, "a warning from the test");
}

TEST_CASE("a CUDA fallback op's errors name the CUDA function, not the CPU twin it runs") {
  Owned a(make_float({2, 3}, {1, 2, 3, 4, 5, 6}));
  Owned b(make_float({4}, {1, 2, 3, 4}));
  Owned out;
  // ATen dispatches on the tensors' device: on CPU tensors the CUDA entry point runs the CPU op.
  CHECK(aoti_torch_cuda_add_Tensor(a.h, b.h, 1.0, out.out()) == AOTI_TORCH_FAILURE);
  CHECK(last_error().rfind("aoti_torch_cuda_add_Tensor: ", 0) == 0);
  CHECK(aoti_torch_cpu_add_Tensor(a.h, b.h, 1.0, out.out()) == AOTI_TORCH_FAILURE);
  CHECK(last_error().rfind("aoti_torch_cpu_add_Tensor: ", 0) == 0);
  Owned sum;
  REQUIRE(aoti_torch_cuda_add_Tensor(a.h, a.h, 1.0, sum.out()) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(sum.h) == std::vector<float>{2, 4, 6, 8, 10, 12});
}

}  // namespace

namespace {

TEST_CASE("oneDNN convolutions: a reordered weight, fused post-ops, and unknown post-ops") {
  // x = [1, -2, 3, -4] as [1, 1, 2, 2]; a 1x1 weight of 2, no bias.
  Owned x(make_float({1, 1, 2, 2}, {1, -2, 3, -4}));
  Owned w(make_float({1, 1, 1, 1}, {2}));
  Owned one(make_float({1, 1, 2, 2}, {1, 1, 1, 1}));
  Owned mkldnn, packed;
  REQUIRE(aoti_torch_cpu_to_mkldnn(w.h, nullptr, mkldnn.out()) == AOTI_TORCH_SUCCESS);
  const int64_t zeros[] = {0, 0}, ones[] = {1, 1};
  REQUIRE(aoti_torch_cpu_mkldnn_reorder_conv2d_weight(mkldnn.h, zeros, 2, ones, 2, ones, 2, 1, nullptr, 0,
                                                      packed.out()) == AOTI_TORCH_SUCCESS);
  const char* none = nullptr;
  Owned relu;
  REQUIRE(aoti_torch_cpu_mkldnn__convolution_pointwise(x.h, packed.h, nullptr, zeros, 2, ones, 2, ones, 2, 1,
                                                       "relu", nullptr, 0, &none,
                                                       relu.out()) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(relu.h) == std::vector<float>{2, 0, 6, 0});
  // relu(conv + 1)
  const char* relu_attr = "relu";
  Owned added;
  REQUIRE(aoti_torch_cpu_mkldnn__convolution_pointwise_binary(
              x.h, one.h, packed.h, nullptr, zeros, 2, ones, 2, ones, 2, 1, "add", nullptr, &relu_attr,
              nullptr, 0, &none, added.out()) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(added.h) == std::vector<float>{3, 0, 7, 0});
  Owned bad;
  CHECK(aoti_torch_cpu_mkldnn__convolution_pointwise(x.h, packed.h, nullptr, zeros, 2, ones, 2, ones, 2, 1,
                                                     "sparkle", nullptr, 0, &none,
                                                     bad.out()) == AOTI_TORCH_FAILURE);
  CHECK(last_error() ==
        "aoti_torch_cpu_mkldnn__convolution_pointwise: unknown convolution post-op 'sparkle'");
  CHECK(aoti_torch_cpu_mkldnn__convolution_pointwise_binary(x.h, one.h, packed.h, nullptr, zeros, 2, ones, 2,
                                                            ones, 2, 1, "pow", nullptr, &relu_attr, nullptr,
                                                            0, &none, bad.out()) == AOTI_TORCH_FAILURE);
  CHECK(last_error() ==
        "aoti_torch_cpu_mkldnn__convolution_pointwise_binary: unknown convolution binary post-op 'pow'");
}

TEST_CASE("MKL's packed linear: the packed weight, a bias added to every row, and mismatched sizes") {
  // x [2, 1, 2] (two rows), w [3, 2], b [3]: y = x w^T + b.
  Owned x(make_float({2, 1, 2}, {1, 2, 3, 4}));
  Owned w(make_float({3, 2}, {1, 0, 0, 1, 1, 1}));
  Owned b(make_float({3}, {10, 20, 30}));
  Owned packed;
  REQUIRE(aoti_torch_cpu__mkl_reorder_linear_weight(w.h, 2, packed.out()) == AOTI_TORCH_SUCCESS);
  Owned y;
  REQUIRE(aoti_torch_cpu__mkl_linear(x.h, packed.h, w.h, &b.h, 2, y.out()) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(y.h) == std::vector<float>{11, 22, 33, 13, 24, 37});
  int64_t* sizes = nullptr;
  REQUIRE(aoti_torch_get_sizes(y.h, &sizes) == AOTI_TORCH_SUCCESS);
  CHECK(std::vector<int64_t>(sizes, sizes + 3) == std::vector<int64_t>{2, 1, 3});
  // Another row count than the weight was packed for, and no bias.
  Owned one_row(make_float({1, 2}, {1, 1}));
  Owned z;
  REQUIRE(aoti_torch_cpu__mkl_linear(one_row.h, packed.h, w.h, nullptr, 2, z.out()) == AOTI_TORCH_SUCCESS);
  CHECK(read_float(z.h) == std::vector<float>{1, 1, 2});
  Owned wide(make_float({1, 3}, {1, 1, 1}));
  Owned bad;
  CHECK(aoti_torch_cpu__mkl_linear(wide.h, packed.h, w.h, nullptr, 1, bad.out()) == AOTI_TORCH_FAILURE);
  CHECK(last_error() ==
        "aoti_torch_cpu__mkl_linear: _mkl_linear: input of sizes [1, 3] and weight of sizes [3, 2] do not "
        "multiply");
}

TEST_CASE("aotic_shim_set_intra_op_threads: libtorch's thread setting, at least 1") {
  CHECK(aotic_shim_set_intra_op_threads(0) == AOTI_TORCH_FAILURE);
  CHECK(last_error() == "aotic_shim_set_intra_op_threads: intra-op threads must be at least 1, got 0");
  CHECK(aotic_shim_set_intra_op_threads(1) == AOTI_TORCH_SUCCESS);
  CHECK(aotic_shim_set_intra_op_threads(2) == AOTI_TORCH_SUCCESS);
}

}  // namespace
