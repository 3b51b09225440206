// The client's address behind load balancers. An instance behind a proxy sees the proxy as its
// TCP peer; the proxy names the client in X-Forwarded-For ("client, proxy1, proxy2", each hop
// appending the address it received the request from). Only hops the operator trusts
// (--trusted-proxies) may speak for the client: anything a client sends itself is ignored.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace bo {

inline constexpr size_t kTrustedProxiesMax = 64;
inline constexpr size_t kForwardedHopsMax = 32;  // X-Forwarded-For entries looked at

class TrustedProxies {
 public:
  TrustedProxies() = default;  // trusts nobody

  // Parses a comma-separated list of addresses and networks: "127.0.0.1,10.0.0.0/8,::1".
  // kInvalidRequest naming the entry that is not one, or if there are more than
  // kTrustedProxiesMax.
  static Result<TrustedProxies> Parse(std::string_view list);

  bool empty() const { return networks_.empty(); }
  bool Contains(const boost::asio::ip::address& address) const;

  // The client's address: `peer` unless the peer is trusted and `forwarded_for` names hops;
  // then the right-most hop that is not trusted (the first address an untrusted party gave),
  // or the left-most hop if all are trusted. An entry that is not an address ends the walk
  // there: what lies left of it cannot be trusted either.
  std::string ClientAddress(std::string_view peer, std::string_view forwarded_for) const;

 private:
  struct Network {
    boost::asio::ip::address base;
    int prefix_bits = 0;
  };
  std::vector<Network> networks_;
};

}  // namespace bo
