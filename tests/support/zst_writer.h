#pragma once

// Writes a .zst file of prefix + `filler` bytes of 'a' + suffix, compressed a
// block at a time: a 256 MiB line becomes a few KB without ever being held.
// Link PkgConfig::ZSTD to use it.

#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

namespace dictlab::testing {

inline void write_zst(const std::filesystem::path& file, const std::string& prefix, std::size_t filler,
                      const std::string& suffix) {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  std::ofstream out(file, std::ios::binary);
  std::string buffer(ZSTD_CStreamOutSize(), '\0');
  auto feed = [&](const std::string& data, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    std::size_t remaining = 0;
    do {
      ZSTD_outBuffer o{buffer.data(), buffer.size(), 0};
      remaining = ZSTD_compressStream2(cctx.get(), &o, &in, mode);
      if (ZSTD_isError(remaining)) throw std::runtime_error(ZSTD_getErrorName(remaining));
      out.write(buffer.data(), static_cast<std::streamsize>(o.pos));
    } while (mode == ZSTD_e_end ? remaining != 0 : in.pos < in.size);
  };
  feed(prefix, ZSTD_e_continue);
  const std::string block(1 << 20, 'a');
  for (std::size_t left = filler; left > 0; left -= std::min(left, block.size()))
    feed(block.substr(0, std::min(left, block.size())), ZSTD_e_continue);
  feed(suffix, ZSTD_e_end);
  if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace dictlab::testing
