#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace dictlab::testing {

// A fresh folder under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_text(const std::filesystem::path& file, const std::string& text);
std::string read_text(const std::filesystem::path& file);

// A child process with stdout and stderr going to one file.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          std::filesystem::path output_file);
  ~Process();
  pid_t pid() const { return pid_; }
  void signal(int signal_number);
  int wait();  // exit code, or 128 + signal
  std::string output() const { return read_text(output_file_); }

 private:
  pid_t pid_ = -1;
  bool waited_ = false;
  int status_ = 0;
  std::filesystem::path output_file_;
};

struct CommandResult {
  int exit_code;
  std::string output;
};

// Runs a command to completion, capturing stdout and stderr together.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env = {});

// Polls `condition` every few milliseconds; false if it never held in time.
bool wait_for(const std::function<bool()>& condition, std::chrono::seconds timeout);

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

}  // namespace dictlab::testing
