#pragma once
// Command-line options shared by the example programs: --data, --epochs,
// --seed, --threads, --help, plus per-example extras. Bad options throw
// adaptrec::invalid_argument, which main() turns into a message and exit 1.
#include <adaptrec/backend/cpu_backend.hpp>
#include <adaptrec/core/error.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace examples {

class CommandLine {
 public:
  // `options` maps each accepted --name to its help text and default value.
  struct Option {
    std::string default_value;
    std::string help;
  };

  CommandLine(std::string program, std::string summary, std::map<std::string, Option> options)
      : program_(std::move(program)), summary_(std::move(summary)), options_(std::move(options)) {
    for (const auto& [name, option] : options_) values_[name] = option.default_value;
  }

  // Returns false when --help was given (usage already printed).
  bool parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        print_usage();
        return false;
      }
      if (!arg.starts_with("--"))
        throw adaptrec::invalid_argument("unexpected argument '" + std::string(arg) +
                                         "' (see --help)");
      std::string name(arg.substr(2));
      std::string value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else {
        if (i + 1 >= argc)
          throw adaptrec::invalid_argument("option --" + name + " needs a value");
        value = argv[++i];
      }
      if (!options_.count(name))
        throw adaptrec::invalid_argument("unknown option --" + name + " (see --help)");
      values_[name] = value;
    }
    // Which kernels run, once per program (ADAPTREC_CPU_BACKEND chooses).
    if (!(values_.count("quiet") && values_["quiet"] == "1"))
      std::fprintf(stderr, "%s: %s\n", program_.c_str(),
                   adaptrec::backend::cpu_backend_description().c_str());
    return true;
  }

  std::string text(const std::string& name) const { return values_.at(name); }

  long long integer(const std::string& name, long long min = 0) const {
    const std::string& v = values_.at(name);
    long long out = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size() || out < min)
      throw adaptrec::invalid_argument("option --" + name + " expects an integer >= " +
                                       std::to_string(min) + ", got '" + v + "'");
    return out;
  }

  double real(const std::string& name) const {
    const std::string& v = values_.at(name);
    char* end = nullptr;
    const double out = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size())
      throw adaptrec::invalid_argument("option --" + name + " expects a number, got '" + v + "'");
    return out;
  }

  void print_usage() const {
    std::printf("usage: %s [options]\n%s\n\noptions:\n", program_.c_str(), summary_.c_str());
    for (const auto& [name, option] : options_)
      std::printf("  --%-14s %s (default: %s)\n", name.c_str(), option.help.c_str(),
                  option.default_value.empty() ? "none" : option.default_value.c_str());
    std::printf("  --%-14s %s\n", "help", "print this help and exit");
  }

 private:
  std::string program_, summary_;
  std::map<std::string, Option> options_;
  std::map<std::string, std::string> values_;
};

// ADAPTREC_DATA, or ../shared/data beside the source tree the example was built from.
inline std::string default_data_dir() {
  if (const char* env = std::getenv("ADAPTREC_DATA"); env && *env) return env;
#ifdef ADAPTREC_DEFAULT_DATA_DIR
  return ADAPTREC_DEFAULT_DATA_DIR;
#else
  return "../shared/data";
#endif
}

// --data may name the dataset folder itself or the data root holding `dataset`.
inline std::filesystem::path dataset_dir(const std::string& data, const std::string& dataset) {
  const std::filesystem::path root(data);
  if (std::filesystem::exists(root / "u.data") || std::filesystem::exists(root / "ratings.dat"))
    return root;
  return root / dataset;
}

}  // namespace examples
