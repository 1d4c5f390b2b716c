#include "text.h"

#include <iconv.h>

#include <cctype>
#include <cerrno>

namespace debian_pile {

namespace {

// Length of the well-formed UTF-8 sequence at text[i], or 0 (Unicode 15,
// table 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  const std::size_t left = text.size() - i;
  const auto cont = [&](std::size_t k) { return k < left && (byte(k) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 2) return 0;
    const unsigned char b1 = byte(1);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;
    if (b0 == 0xED && b1 > 0x9F) return 0;
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 2) return 0;
    const unsigned char b1 = byte(1);
    if (b0 == 0xF0 && b1 < 0x90) return 0;
    if (b0 == 0xF4 && b1 > 0x8F) return 0;
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}


}  // namespace

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = sequence_length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string repair_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = sequence_length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::optional<std::string> to_utf8(std::string_view bytes, const std::string& charset) {
  iconv_t raw = iconv_open("UTF-8", charset.c_str());
  if (raw == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  // A tiny RAII guard: iconv_t has no destructor of its own.
  struct Guard {
    iconv_t handle;
    ~Guard() { iconv_close(handle); }
  } guard{raw};

  std::string out(bytes.size() * 2 + 16, '\0');
  char* in_ptr = const_cast<char*>(bytes.data());  // iconv's signature is not const-correct
  std::size_t in_left = bytes.size();
  std::size_t out_used = 0;
  while (in_left > 0) {
    char* out_ptr = out.data() + out_used;
    std::size_t out_left = out.size() - out_used;
    const std::size_t result = iconv(raw, &in_ptr, &in_left, &out_ptr, &out_left);
    out_used = out.size() - out_left;
    if (result == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) {
        out.resize(out.size() * 2);
        continue;
      }
      return std::nullopt;  // EILSEQ / EINVAL: not this charset
    }
  }
  out.resize(out_used);
  return out;
}

std::string decode_text(std::string_view bytes, const std::string& fallback_charset) {
  if (is_valid_utf8(bytes)) return std::string(bytes);
  if (auto converted = to_utf8(bytes, fallback_charset)) return *converted;
  return repair_utf8(bytes);
}

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::uint64_t normalised_hash(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  bool pending_space = false, started = false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u == ' ' || u == '\t' || u == '\n' || u == '\r' || u == '\f' || u == '\v') {
      pending_space = started;
      continue;
    }
    if (pending_space) {
      hash ^= ' ';
      hash *= 0x100000001b3ULL;
      pending_space = false;
    }
    started = true;
    hash ^= static_cast<unsigned char>(u < 0x80 ? std::tolower(u) : u);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string strip_ansi(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      std::size_t j = i + 2;
      while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == ';')) ++j;
      if (j < text.size() && text[j] == 'm') {
        i = j;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string strip_overstrike(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\b') {
      // Drop the previous character (a whole UTF-8 sequence): the next one
      // repeats it (bold) or replaces the underscore (underline).
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
      if (!out.empty()) out.pop_back();
      continue;
    }
    out += c;
  }
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> split_records(std::string_view text, std::string_view separator) {
  std::vector<std::string> records;
  std::string current;
  const auto flush = [&] {
    if (!all_space(current)) records.push_back(std::move(current));
    current.clear();
  };
  for (const std::string_view line : split_lines(text)) {
    if (trim(line) == separator) {
      flush();
      continue;
    }
    current.append(line);
    current += '\n';
  }
  flush();
  return records;
}

std::string_view trim(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

bool all_space(std::string_view text) { return trim(text).empty(); }

std::string base64_lines(std::string_view bytes, std::size_t line_length) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t column = 0;
  const auto put = [&](char c) {
    out += c;
    if (++column == line_length) {
      out += '\n';
      column = 0;
    }
  };
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t b0 = static_cast<unsigned char>(bytes[i]);
    const std::uint32_t b1 = i + 1 < bytes.size() ? static_cast<unsigned char>(bytes[i + 1]) : 0;
    const std::uint32_t b2 = i + 2 < bytes.size() ? static_cast<unsigned char>(bytes[i + 2]) : 0;
    const std::uint32_t n = (b0 << 16) | (b1 << 8) | b2;
    put(kAlphabet[(n >> 18) & 63]);
    put(kAlphabet[(n >> 12) & 63]);
    put(i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=');
    put(i + 2 < bytes.size() ? kAlphabet[n & 63] : '=');
  }
  if (column != 0) out += '\n';
  return out;
}

bool natural_less(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      const std::string_view na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

}  // namespace debian_pile
