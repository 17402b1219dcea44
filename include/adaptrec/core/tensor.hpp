#pragma once
// Tensor<T>: an owning, contiguous, row-major array of up to four dimensions.
//
// The tensor knows its device; element access and Eigen views are only legal on
// the CPU. Heavy math goes through adaptrec/backend/ops.hpp, which dispatches on
// the device, so a CUDA backend slots in under the same modules.
#include <adaptrec/core/device.hpp>
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/host_memory.hpp>
#include <adaptrec/core/shape.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

namespace adaptrec {

template <class T>
using MatrixMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class T>
using ConstMatrixMap =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class T>
using VectorMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstVectorMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;

template <class T>
class Tensor {
  static_assert(std::is_arithmetic_v<T>, "adaptrec::Tensor holds arithmetic element types");

 public:
  using value_type = T;

  Tensor() = default;

  // A zero-filled tensor of the given shape.
  explicit Tensor(const Shape& shape, Device device = Device::cpu())
      : shape_(shape), device_(device) {
    require_cpu_device(device);
    data_ = detail::allocate_host<T>(shape_.numel());
    set_zero();
  }

  // A tensor whose elements are left unset, for an output that a kernel then
  // overwrites entirely: it saves the zero-filling pass over memory. Where
  // ADAPTREC_POISON_UNINITIALIZED is defined (adaptrec's own tests) the
  // elements are NaN (the largest value for integers) instead, so that one
  // nobody wrote shows up.
  static Tensor uninitialized(const Shape& shape) {
    Tensor t;
    t.shape_ = shape;
    t.data_ = detail::allocate_host<T>(shape.numel());
#ifdef ADAPTREC_POISON_UNINITIALIZED
    if constexpr (std::numeric_limits<T>::has_quiet_NaN)
      t.fill(std::numeric_limits<T>::quiet_NaN());
    else
      t.fill(std::numeric_limits<T>::max());
#endif
    return t;
  }

  // A tensor holding a copy of `values`, which must have shape.numel() elements.
  Tensor(const Shape& shape, const std::vector<T>& values) : Tensor(shape) {
    if (static_cast<index_t>(values.size()) != shape.numel())
      throw shape_error("adaptrec::Tensor: " + std::to_string(values.size()) +
                        " values given for shape " + shape.to_string());
    std::copy(values.begin(), values.end(), data());
  }

  static Tensor full(const Shape& shape, T value) {
    Tensor t(shape);
    t.fill(value);
    return t;
  }

  // Sized by other.size(), not its shape: a default or moved-from tensor has the
  // scalar shape [] but no storage, and its copy must have none either.
  Tensor(const Tensor& other) : shape_(other.shape_), device_(other.device_) {
    data_ = detail::allocate_host<T>(other.size());
    if (size()) std::memcpy(data(), other.data(), bytes());
  }
  Tensor& operator=(const Tensor& other) {
    if (this != &other) {
      if (size() != other.size()) data_ = detail::allocate_host<T>(other.size());
      shape_ = other.shape_;
      device_ = other.device_;
      if (size()) std::memcpy(data(), other.data(), bytes());
    }
    return *this;
  }
  Tensor(Tensor&& other) noexcept
      : shape_(other.shape_), device_(other.device_), data_(std::move(other.data_)) {
    other.shape_ = Shape{};
  }
  Tensor& operator=(Tensor&& other) noexcept {
    if (this != &other) {
      shape_ = other.shape_;
      device_ = other.device_;
      data_ = std::move(other.data_);
      other.shape_ = Shape{};
    }
    return *this;
  }

  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  index_t dim(int i) const {
    if (i < 0) i += rank();
    if (i < 0 || i >= rank())
      throw shape_error("adaptrec::Tensor: dimension " + std::to_string(i) +
                        " out of range for shape " + shape_.to_string());
    return shape_[i];
  }
  index_t size() const { return data_ ? shape_.numel() : 0; }
  bool empty() const { return size() == 0; }
  std::size_t bytes() const { return static_cast<std::size_t>(size()) * sizeof(T); }
  Device device() const { return device_; }

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  T* begin() { return data(); }
  T* end() { return data() + size(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }

  // Element access (CPU). Indices are checked only in debug builds: this is the
  // inner loop of reference code.
  T& operator[](index_t i) { return data_[static_cast<std::size_t>(i)]; }
  const T& operator[](index_t i) const { return data_[static_cast<std::size_t>(i)]; }
  T& operator()(index_t i, index_t j) { return data_[offset(i, j)]; }
  const T& operator()(index_t i, index_t j) const { return data_[offset(i, j)]; }
  T& operator()(index_t i, index_t j, index_t k) { return data_[offset(i, j, k)]; }
  const T& operator()(index_t i, index_t j, index_t k) const { return data_[offset(i, j, k)]; }
  T& operator()(index_t i, index_t j, index_t k, index_t l) { return data_[offset(i, j, k, l)]; }
  const T& operator()(index_t i, index_t j, index_t k, index_t l) const {
    return data_[offset(i, j, k, l)];
  }

  // Same elements, new extents. The element count must not change.
  void reshape(const Shape& shape) {
    if (shape.numel() != shape_.numel())
      throw shape_error("adaptrec::Tensor: cannot reshape " + shape_.to_string() + " to " +
                        shape.to_string());
    shape_ = shape;
  }
  Tensor reshaped(const Shape& shape) const& {
    Tensor t(*this);
    t.reshape(shape);
    return t;
  }
  Tensor reshaped(const Shape& shape) && {
    reshape(shape);
    return std::move(*this);
  }

  // Views for Eigen math: all leading dimensions flattened into rows.
  MatrixMap<T> matrix() { return {data(), rows(), cols()}; }
  ConstMatrixMap<T> matrix() const { return {data(), rows(), cols()}; }
  VectorMap<T> flat() { return {data(), size()}; }
  ConstVectorMap<T> flat() const { return {data(), size()}; }
  index_t cols() const { return rank() == 0 ? 1 : shape_.back(); }
  index_t rows() const {
    if (cols() != 0) return size() / cols();
    // [..., 0] still has as many (empty) rows as its leading extents say, so a
    // GEMM with an inner dimension of 0 sees an m x 0 matrix, not a 0 x 0 one.
    index_t r = 1;
    for (int i = 0; i + 1 < rank(); ++i) r *= shape_[i];
    return r;
  }

  void fill(T value) { std::fill(begin(), end(), value); }
  void set_zero() {
    if (size()) std::memset(data(), 0, bytes());
  }

  std::vector<T> to_vector() const { return std::vector<T>(begin(), end()); }

  template <class U>
  Tensor<U> cast() const {
    Tensor<U> t(shape_);
    std::transform(begin(), end(), t.begin(), [](T v) { return static_cast<U>(v); });
    return t;
  }

 private:
  static void require_cpu_device(Device device) {
    if (!device.is_cpu())
      throw error("adaptrec::Tensor: device " + device.to_string() +
                  " has no allocator in this build (the CUDA backend is not built yet)");
  }
  std::size_t offset(index_t i, index_t j) const {
    assert_rank(2);
    return static_cast<std::size_t>(i * shape_[1] + j);
  }
  std::size_t offset(index_t i, index_t j, index_t k) const {
    assert_rank(3);
    return static_cast<std::size_t>((i * shape_[1] + j) * shape_[2] + k);
  }
  std::size_t offset(index_t i, index_t j, index_t k, index_t l) const {
    assert_rank(4);
    return static_cast<std::size_t>(((i * shape_[1] + j) * shape_[2] + k) * shape_[3] + l);
  }
  void assert_rank([[maybe_unused]] int r) const {
#ifndef NDEBUG
    if (rank() != r)
      throw shape_error("adaptrec::Tensor: " + std::to_string(r) +
                        "-index access to a tensor of shape " + shape_.to_string());
#endif
  }

  Shape shape_{};
  Device device_{};
  detail::HostBuffer<T> data_;
};

// Throws a shape_error naming `what` unless `t` has exactly `expected` shape.
template <class T>
void require_shape(const Tensor<T>& t, const Shape& expected, const char* what) {
  if (!(t.shape() == expected))
    throw shape_error(std::string(what) + ": expected shape " + expected.to_string() + ", got " +
                      t.shape().to_string());
}

template <class T>
void require_rank(const Tensor<T>& t, int rank, const char* what) {
  if (t.rank() != rank)
    throw shape_error(std::string(what) + ": expected a rank-" + std::to_string(rank) +
                      " tensor, got shape " + t.shape().to_string());
}

}  // namespace adaptrec
