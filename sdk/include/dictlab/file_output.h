#pragma once

// A std::streambuf over a POSIX file descriptor that keeps the errno of the
// first failed write. std::ofstream only says that a write failed; a user
// whose disk filled up needs to read "No space left on device".

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <streambuf>
#include <string>
#include <vector>

#include "dictlab/errors.h"

namespace dictlab {

class FileOutputBuffer : public std::streambuf {
 public:
  // Creates or truncates `path`; a PluginError naming it and the reason if it cannot.
  explicit FileOutputBuffer(const std::filesystem::path& path) : path_(path), buffer_(1 << 16) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd_ < 0) throw PluginError("cannot write " + path.string() + ": " + std::strerror(errno));
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  FileOutputBuffer(const FileOutputBuffer&) = delete;
  FileOutputBuffer& operator=(const FileOutputBuffer&) = delete;
  ~FileOutputBuffer() override {
    if (fd_ >= 0) ::close(fd_);
  }

  // errno of the first failure, 0 while every write has gone through.
  int error() const { return error_; }

  // Flushes, syncs to disk and closes: 0, or the errno of the first failure
  // (ENOSPC for a full disk, EDQUOT for a quota) for the caller's message.
  [[nodiscard]] int finish() {
    sync();
    if (!error_ && ::fsync(fd_) != 0 && errno != EINVAL) error_ = errno;  // EINVAL: /dev/null, pipes
    if (::close(fd_) != 0 && !error_) error_ = errno;                   // NFS reports a full disk here
    fd_ = -1;
    return error_;
  }

 protected:
  int_type overflow(int_type c) override {
    if (sync() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override {
    const bool ok = write_all(pbase(), static_cast<std::size_t>(pptr() - pbase()));
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return ok ? 0 : -1;
  }

 private:
  bool write_all(const char* data, std::size_t size) {
    if (error_) return false;  // keep the first reason; later ones follow from it
    while (size > 0) {
      const ssize_t n = ::write(fd_, data, size);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = n < 0 ? errno : EIO;
        return false;
      }
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

  std::filesystem::path path_;
  std::vector<char> buffer_;
  int fd_ = -1;
  int error_ = 0;
};

}  // namespace dictlab
