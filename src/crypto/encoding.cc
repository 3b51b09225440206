#include "crypto/encoding.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <stdexcept>

namespace bo {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Encode(std::string_view in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                       static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    out.push_back(alphabet[v >> 18 & 63]);
    out.push_back(alphabet[v >> 12 & 63]);
    out.push_back(alphabet[v >> 6 & 63]);
    out.push_back(alphabet[v & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest > 0) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(alphabet[v >> 18 & 63]);
    out.push_back(alphabet[v >> 12 & 63]);
    if (rest == 2) out.push_back(alphabet[v >> 6 & 63]);
    if (pad) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

// The value of each byte in `alphabet`, -1 for a byte outside it; built at compile time (every
// request decodes the three parts of its token).
constexpr std::array<signed char, 256> DecodeTable(const char* alphabet) {
  std::array<signed char, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  return table;
}

constexpr std::array<signed char, 256> kStdTable = DecodeTable(kStd);
constexpr std::array<signed char, 256> kUrlTable = DecodeTable(kUrl);

std::optional<std::string> Decode(std::string_view in, const std::array<signed char, 256>& table) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (const char c : in) {
    const int v = table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, so that each byte string has one encoding only.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) { return Encode(bytes, kStd, true); }
std::string Base64UrlEncode(std::string_view bytes) { return Encode(bytes, kUrl, false); }
std::optional<std::string> Base64Decode(std::string_view text) { return Decode(text, kStdTable); }
std::optional<std::string> Base64UrlDecode(std::string_view text) {
  return Decode(text, kUrlTable);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

namespace {

// An HMAC-SHA256 context of one thread, set up for the key it last used: the one-shot HMAC()
// looks the algorithm up and builds its contexts on every call, which costs several times the
// MAC of a token (every request verifies one).
class ThreadHmac {
 public:
  ~ThreadHmac() { EVP_MAC_CTX_free(ctx_); }

  // False if OpenSSL failed; then `md` is unset.
  bool Mac(std::string_view key, std::string_view message, unsigned char* md, size_t* md_len) {
    if (!ctx_ || key != key_) {
      static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
      EVP_MAC_CTX_free(ctx_);
      ctx_ = hmac ? EVP_MAC_CTX_new(hmac) : nullptr;
      char digest[] = "SHA256";
      const OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
          OSSL_PARAM_construct_end()};
      if (!ctx_ || EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()),
                                key.size(), params) != 1) {
        EVP_MAC_CTX_free(ctx_);
        ctx_ = nullptr;
        return false;
      }
      key_.assign(key);
    } else if (EVP_MAC_init(ctx_, nullptr, 0, nullptr) != 1) {  // the same key again
      return false;
    }
    return EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1 &&
           EVP_MAC_final(ctx_, md, md_len, EVP_MAX_MD_SIZE) == 1;
  }

 private:
  std::string key_;
  EVP_MAC_CTX* ctx_ = nullptr;
};

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view message) {
  thread_local ThreadHmac hmac;
  unsigned char md[EVP_MAX_MD_SIZE];
  size_t md_len = 0;
  if (!hmac.Mac(key, message, md, &md_len)) {
    unsigned int one_shot_len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), md, &one_shot_len);
    md_len = one_shot_len;
  }
  return std::string(reinterpret_cast<const char*>(md), md_len);
}

std::string Sha256(std::string_view bytes) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  return std::string(reinterpret_cast<const char*>(md), sizeof md);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

}  // namespace bo
