// The client's address behind trusted load balancers: only trusted hops may name the client.
#include "http/client_address.h"

#include <gtest/gtest.h>

namespace bo {
namespace {

TrustedProxies Proxies(std::string_view list) {
  auto p = TrustedProxies::Parse(list);
  EXPECT_TRUE(p.ok()) << list;
  return p.ok() ? std::move(*p) : TrustedProxies();
}

TEST(TrustedProxies, ParsesAddressesAndNetworks) {
  const auto p = Proxies(" 127.0.0.1, 10.0.0.0/8 ,::1,fd00::/8");
  EXPECT_TRUE(p.Contains(boost::asio::ip::make_address("127.0.0.1")));
  EXPECT_FALSE(p.Contains(boost::asio::ip::make_address("127.0.0.2")));
  EXPECT_TRUE(p.Contains(boost::asio::ip::make_address("10.255.1.2")));
  EXPECT_FALSE(p.Contains(boost::asio::ip::make_address("11.0.0.1")));
  EXPECT_TRUE(p.Contains(boost::asio::ip::make_address("::1")));
  EXPECT_TRUE(p.Contains(boost::asio::ip::make_address("fd12::5")));
  EXPECT_FALSE(p.Contains(boost::asio::ip::make_address("fe80::1")));
  EXPECT_TRUE(Proxies("").empty());
  EXPECT_TRUE(Proxies("0.0.0.0/0").Contains(boost::asio::ip::make_address("192.0.2.7")));
  EXPECT_TRUE(Proxies("10.1.2.0/23").Contains(boost::asio::ip::make_address("10.1.3.9")));
  EXPECT_FALSE(Proxies("10.1.2.0/23").Contains(boost::asio::ip::make_address("10.1.4.0")));
}

TEST(TrustedProxies, RefusesWhatIsNotAnAddress) {
  for (const char* bad : {"localhost", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/8x", "::1/129",
                          "1.2.3", "10.0.0.0/-1"}) {
    auto p = TrustedProxies::Parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidRequest);
    EXPECT_NE(p.error().detail.find(bad), std::string::npos) << p.error().detail;
  }
  std::string many;
  for (int i = 0; i <= static_cast<int>(kTrustedProxiesMax); ++i) {
    many += "10.0.0." + std::to_string(i % 250) + ",";
  }
  EXPECT_FALSE(TrustedProxies::Parse(many).ok());
}

TEST(TrustedProxies, AnUntrustedPeerSpeaksForItself) {
  const auto p = Proxies("127.0.0.1");
  EXPECT_EQ(p.ClientAddress("192.0.2.1", "203.0.113.9"), "192.0.2.1");
  EXPECT_EQ(TrustedProxies().ClientAddress("127.0.0.1", "203.0.113.9"), "127.0.0.1");
}

TEST(TrustedProxies, ATrustedPeerNamesTheClient) {
  const auto p = Proxies("127.0.0.1,10.0.0.0/8");
  EXPECT_EQ(p.ClientAddress("127.0.0.1", "203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(p.ClientAddress("127.0.0.1", ""), "127.0.0.1");
  // A client that forges hops gains nothing: the right-most untrusted hop is the client.
  EXPECT_EQ(p.ClientAddress("127.0.0.1", "1.1.1.1, 203.0.113.9"), "203.0.113.9");
  // Trusted hops are walked through.
  EXPECT_EQ(p.ClientAddress("127.0.0.1", "203.0.113.9, 10.0.0.5"), "203.0.113.9");
  // Only trusted hops: the left-most is the client.
  EXPECT_EQ(p.ClientAddress("127.0.0.1", "10.0.0.7, 10.0.0.5"), "10.0.0.7");
  // Garbage stops the walk at the last address trusted hops vouched for.
  EXPECT_EQ(p.ClientAddress("127.0.0.1", "203.0.113.9, nonsense, 10.0.0.5"), "10.0.0.5");
  EXPECT_EQ(p.ClientAddress("127.0.0.1", "nonsense"), "127.0.0.1");
  // IPv4 seen over IPv6.
  EXPECT_EQ(p.ClientAddress("::ffff:127.0.0.1", "203.0.113.9"), "203.0.113.9");
}

}  // namespace
}  // namespace bo
