#pragma once
// Whole-file reads and crash-safe writes for the io family.
#include <adaptrec/core/error.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace adaptrec::io::detail {

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FileHandle = std::unique_ptr<std::FILE, FileCloser>;

inline std::string system_reason() { return std::strerror(errno); }

// The whole file. Its size is taken from the open handle, so the buffer is
// never larger than what is on disk.
inline std::string read_file_bytes(const std::filesystem::path& path) {
  // A directory opens and seeks on Linux and reports a nonsense size.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw io_error("cannot read " + path.string() + ": it is a directory");
  FileHandle file(std::fopen(path.c_str(), "rb"));
  if (!file) throw io_error("cannot open " + path.string() + ": " + system_reason());
  if (std::fseek(file.get(), 0, SEEK_END) != 0)
    throw io_error("cannot seek in " + path.string() + " (not a regular file?)");
  const long size = std::ftell(file.get());
  if (size < 0 || std::fseek(file.get(), 0, SEEK_SET) != 0)
    throw io_error("cannot determine the size of " + path.string());
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (std::fread(bytes.data(), 1, bytes.size(), file.get()) != bytes.size())
    throw io_error("error while reading " + path.string() + ": " + system_reason());
  return bytes;
}

// Writes `path` through `emit(FILE*)` into `path.tmp`, flushes it to disk and
// renames it over `path`. Renaming within a folder is atomic on POSIX, so a
// crash at any point leaves either the old file or the complete new one.
template <class Emit>
void write_file_atomically(const std::filesystem::path& path, Emit&& emit) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  try {
    {
      FileHandle file(std::fopen(temporary.c_str(), "wb"));
      if (!file) throw io_error("cannot create " + temporary.string() + ": " + system_reason());
      emit(file.get());
      if (std::fflush(file.get()) != 0 || std::ferror(file.get()))
        throw io_error("error while writing " + temporary.string() + ": " + system_reason());
#if defined(__unix__) || defined(__APPLE__)
      if (::fsync(::fileno(file.get())) != 0)
        throw io_error("cannot flush " + temporary.string() + " to disk: " + system_reason());
#endif
      if (std::fclose(file.release()) != 0)
        throw io_error("error while closing " + temporary.string() + ": " + system_reason());
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec)
      throw io_error("cannot rename " + temporary.string() + " to " + path.string() + ": " +
                     ec.message());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

// fwrite that reports which file failed.
inline void write_bytes(std::FILE* file, const void* data, std::size_t size,
                        const std::filesystem::path& path) {
  if (size != 0 && std::fwrite(data, 1, size, file) != size)
    throw io_error("error while writing " + path.string() + ": " + system_reason());
}

}  // namespace adaptrec::io::detail
