#include "gateway/core/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "gateway/core/text.h"

namespace brygga::core {

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 failed");  // broken environment, not bad data
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

namespace {

// Two lowercase hex digits per byte, appended.
void appendHex(std::string& out, std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
}

}  // namespace

std::string toHex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  appendHex(out, bytes);
  return out;
}

StatusOr<std::string> fromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return invalidArgument("hex text has an odd number of digits");
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hexDigitValue(hex[i]);
    const int lo = hexDigitValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return invalidArgument("hex text has a character that is not 0-9, a-f");
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string sha256Hex(std::string_view data) {
  return toHex(sha256(data));
}

namespace {

// The canonical text form of 16 bytes whose version and variant bits are set.
std::string uuidText(const unsigned char* b) {
  const std::string_view bytes(reinterpret_cast<const char*>(b), 16);
  std::string out;
  out.reserve(36);
  appendHex(out, bytes.substr(0, 4));
  for (size_t at : {4, 6, 8}) {
    out += '-';
    appendHex(out, bytes.substr(at, 2));
  }
  out += '-';
  appendHex(out, bytes.substr(10, 6));
  return out;
}

// OpenSSL's generator, drawn from in blocks: each RAND_bytes call takes locks and checks for a
// fork, which cost more than the bytes when every resource id and trace id made one call (several
// inside each write unit, on the group commit's critical section). Each byte is handed out once,
// to one thread. The process never forks, so no child can replay a parent's block.
void randomBytes(unsigned char* b, int n) {
  constexpr int kBlock = 512;
  if (n > kBlock / 4) {
    if (RAND_bytes(b, n) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
    return;
  }
  thread_local unsigned char block[kBlock];
  thread_local int used = kBlock;
  if (used + n > kBlock) {
    if (RAND_bytes(block, kBlock) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
    used = 0;
  }
  std::memcpy(b, block + used, static_cast<size_t>(n));
  OPENSSL_cleanse(block + used, static_cast<size_t>(n));
  used += n;
}

}  // namespace

std::string newUuid() {
  unsigned char b[16];
  randomBytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  return uuidText(b);
}

std::string newTimeOrderedUuid() {
  unsigned char b[16];
  randomBytes(b + 6, 10);
  const auto ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x70);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  return uuidText(b);
}

std::string randomHex(int bytes) {
  std::string raw(static_cast<size_t>(bytes), '\0');
  randomBytes(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  return toHex(raw);
}

}  // namespace brygga::core
