#include "http/client_address.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace bo {
namespace {

namespace ip = boost::asio::ip;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<ip::address> AddressOf(std::string_view text) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  // An IPv4 client seen over an IPv6 socket: compare it as IPv4.
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

// Whether the first `bits` bits of a and b agree. REQUIRES: same family.
bool SamePrefix(const ip::address& a, const ip::address& b, int bits) {
  auto compare = [bits](const auto& x, const auto& y) {
    for (size_t i = 0; i < x.size() && bits > static_cast<int>(i) * 8; ++i) {
      const int take = std::min(8, bits - static_cast<int>(i) * 8);
      const auto mask = static_cast<unsigned char>(0xFF << (8 - take));
      if ((x[i] & mask) != (y[i] & mask)) return false;
    }
    return true;
  };
  if (a.is_v4()) return compare(a.to_v4().to_bytes(), b.to_v4().to_bytes());
  return compare(a.to_v6().to_bytes(), b.to_v6().to_bytes());
}

}  // namespace

Result<TrustedProxies> TrustedProxies::Parse(std::string_view list) {
  TrustedProxies out;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view entry = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    if (out.networks_.size() == kTrustedProxiesMax) {
      return MakeError(ErrorCode::kInvalidRequest,
                       "trusted proxies: more than " + std::to_string(kTrustedProxiesMax));
    }
    const size_t slash = entry.find('/');
    auto base = AddressOf(entry.substr(0, slash));
    const int bits_max = base && base->is_v4() ? 32 : 128;
    int bits = bits_max;
    if (base && slash != std::string_view::npos) {
      const std::string_view b = entry.substr(slash + 1);
      const auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
      if (ec != std::errc() || end != b.data() + b.size() || bits < 0 || bits > bits_max) {
        base.reset();
      }
    }
    if (!base) {
      return MakeError(ErrorCode::kInvalidRequest,
                       "trusted proxies: \"" + std::string(entry) +
                           "\" is not an address or a network such as 10.0.0.0/8");
    }
    out.networks_.push_back(Network{*base, bits});
  }
  return out;
}

bool TrustedProxies::Contains(const ip::address& address) const {
  for (const auto& n : networks_) {
    if (n.base.is_v4() == address.is_v4() && SamePrefix(n.base, address, n.prefix_bits)) {
      return true;
    }
  }
  return false;
}

std::string TrustedProxies::ClientAddress(std::string_view peer,
                                          std::string_view forwarded_for) const {
  if (networks_.empty() || forwarded_for.empty()) return std::string(peer);
  const auto peer_address = AddressOf(peer);
  if (!peer_address || !Contains(*peer_address)) return std::string(peer);
  std::string client(peer);
  // Right to left: each trusted hop vouches for the one before it.
  for (size_t hops = 0; hops < kForwardedHopsMax && !forwarded_for.empty(); ++hops) {
    const size_t comma = forwarded_for.rfind(',');
    const std::string_view hop =
        Trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for =
        comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    const auto address = AddressOf(hop);
    if (!address) break;
    client = address->to_string();
    if (!Contains(*address)) break;
  }
  return client;
}

}  // namespace bo
