#pragma once
// Every exception adaptrec throws derives from adaptrec::error, so a program can
// catch the library's failures in one place. Messages name the file, line,
// tensor name or shape involved.
#include <stdexcept>
#include <string>

namespace adaptrec {

class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A tensor had the wrong rank or extents for an operation.
class shape_error : public error {
 public:
  using error::error;
};

// An index (item id, user id, token id) was outside its valid range.
class index_error : public error {
 public:
  using error::error;
};

// A file could not be opened, read or parsed.
class io_error : public error {
 public:
  using error::error;
};

// An argument's value was invalid (NaN, negative size, unknown option...).
class invalid_argument : public error {
 public:
  using error::error;
};

}  // namespace adaptrec
