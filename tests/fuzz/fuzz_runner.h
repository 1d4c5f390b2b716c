#pragma once

// The loop every fuzz target shares: write each mutated input to a file,
// hand it to the parser, and accept only two endings, success or the SDK's
// clear error (PluginError with a message). Anything else (std::bad_alloc,
// std::length_error, a nlohmann exception, an ASan/UBSan report) fails.
//
// DICTLAB_FUZZ_INPUTS=<n> overrides every target's input count and
// DICTLAB_FUZZ_SEED=<n> shifts the seeds, for a longer local run.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <typeinfo>
#include <vector>

#include "dictlab/errors.h"
#include "mutator.h"

namespace dictlab::fuzz {

// A fresh folder for one target's inputs. After a sanitizer abort it is left
// behind holding the input that crashed, whose path the target printed.
class FuzzDir {
 public:
  FuzzDir() {
    // Memory-backed when there is one: thousands of small rewrites of one
    // file on ext4 wait on writeback (4 ms each here, against 0.1 ms).
    std::error_code error;
    const auto base = std::filesystem::is_directory("/dev/shm", error) ? std::filesystem::path("/dev/shm")
                                                                       : std::filesystem::temp_directory_path();
    std::string pattern = (base / "dictlab-fuzz-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~FuzzDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  FuzzDir(const FuzzDir&) = delete;
  FuzzDir& operator=(const FuzzDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

inline long env_number(const char* name, long fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::strtol(value, nullptr, 10) : fallback;
}

// FNV-1a: the same seed from a target's name on every platform.
inline std::uint64_t name_hash(const std::string& name) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : name) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

struct FuzzTarget {
  std::string name;                // in messages and the seed
  std::vector<std::string> seeds;  // valid files the parser accepts
  long inputs;                     // mutated inputs to try
  // Parses the file at the path (named file_name, alone in its folder, so a
  // parser of a set of files can find the others beside it); throws on bad input.
  std::function<void(const std::filesystem::path& file)> parse;
  std::string file_name = "input";
};

// One input's ending: "" for success or a clear error, else what went wrong.
inline std::string outcome(const FuzzTarget& target, const std::filesystem::path& file, bool* refused) {
  *refused = false;
  try {
    target.parse(file);
    return "";
  } catch (const PluginError& e) {
    *refused = true;
    return std::string(e.what()).empty() ? "PluginError with an empty message" : "";
  } catch (const std::exception& e) {
    return std::string("unclear error ") + typeid(e).name() + ": " + e.what();
  } catch (...) {
    return "a non-std exception";
  }
}

// Runs the target; fails the current test on the seeds being refused or on
// any input ending badly (the first few are printed with their number).
inline void run_fuzz(const FuzzTarget& target) {
  FuzzDir dir;
  const auto file = dir.path() / target.file_name;
  for (std::size_t i = 0; i < target.seeds.size(); ++i) {
    write_file(file, target.seeds[i]);
    bool refused = false;
    const std::string bad = outcome(target, file, &refused);
    ASSERT_TRUE(bad.empty() && !refused) << target.name << " refuses its own seed " << i << ": " << bad;
  }
  const long inputs = env_number("DICTLAB_FUZZ_INPUTS", target.inputs);
  const auto seed = name_hash(target.name) + static_cast<std::uint64_t>(env_number("DICTLAB_FUZZ_SEED", 0));
  std::printf("%s: %ld inputs from seed %llu, each written to %s\n", target.name.c_str(), inputs,
              static_cast<unsigned long long>(seed), file.c_str());
  std::fflush(stdout);
  Mutator mutator(target.seeds, seed);
  long accepted = 0, refused_count = 0, failures = 0;
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < inputs; ++i) {
    write_file(file, mutator.next());
    bool refused = false;
    const std::string bad = outcome(target, file, &refused);
    if (!bad.empty() && ++failures <= 5) ADD_FAILURE() << target.name << " input " << i << ": " << bad;
    if (bad.empty()) ++(refused ? refused_count : accepted);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %ld inputs in %.1f s: %ld parsed, %ld refused with a clear error, %ld bad\n", target.name.c_str(),
              inputs, seconds, accepted, refused_count, failures);
  EXPECT_EQ(failures, 0);
  EXPECT_GT(refused_count, 0) << "no input was refused: the mutations never reached the parser's checks";
}

}  // namespace dictlab::fuzz
