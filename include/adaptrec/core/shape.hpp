#pragma once
// The extents of a tensor: up to four dimensions, row-major.
#include <adaptrec/core/error.hpp>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>

namespace adaptrec {

using index_t = std::int64_t;

class Shape {
 public:
  static constexpr int max_rank = 4;

  Shape() = default;
  Shape(std::initializer_list<index_t> dims) {
    if (dims.size() > max_rank)
      throw shape_error("adaptrec: a tensor has at most 4 dimensions, got " +
                        std::to_string(dims.size()));
    for (index_t d : dims) push_back(d);
  }

  int rank() const { return rank_; }
  index_t operator[](int i) const { return dims_[static_cast<std::size_t>(i)]; }
  index_t& operator[](int i) { return dims_[static_cast<std::size_t>(i)]; }
  index_t back() const { return rank_ == 0 ? 1 : dims_[static_cast<std::size_t>(rank_ - 1)]; }

  // Number of elements; a rank-0 shape is a scalar with one element.
  index_t numel() const {
    index_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[static_cast<std::size_t>(i)];
    return n;
  }

  void push_back(index_t d) {
    if (rank_ == max_rank)
      throw shape_error("adaptrec: a tensor has at most 4 dimensions");
    if (d < 0) throw shape_error("adaptrec: negative extent " + std::to_string(d));
    dims_[static_cast<std::size_t>(rank_++)] = d;
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.rank_ != b.rank_) return false;
    for (int i = 0; i < a.rank_; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }

  friend std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.to_string(); }

  std::string to_string() const {
    std::string s = "[";
    for (int i = 0; i < rank_; ++i) {
      if (i) s += ", ";
      s += std::to_string(dims_[static_cast<std::size_t>(i)]);
    }
    return s + "]";
  }

 private:
  std::array<index_t, max_rank> dims_{};
  int rank_ = 0;
};

}  // namespace adaptrec
