#pragma once
// The identity under which per-client limits count a client (HTTP connections, WHEP
// handshakes, authentication failures): its IPv4 address, or the /64 of its IPv6 address,
// since one subscriber usually holds a whole /64 and could otherwise dodge any per-address
// limit. IPv4-mapped IPv6 counts as IPv4.
#include <string>
#include <string_view>

namespace sluice::core {

// "1.2.3.4" -> "1.2.3.4"; "::ffff:1.2.3.4" -> "1.2.3.4"; "2001:db8:1:2:3:4:5:6" and
// "[2001:db8:1:2::9]" -> "2001:db8:1:2::/64"; a zone ("%eth0") is ignored. Text that is not an
// address is returned as it is, so it still counts as one (odd) client.
std::string clientKey(std::string_view ip);

// The same for "ip:port" / "[ip]:port" (an HTTP or WHEP client's remote address).
std::string clientKeyOfAddress(std::string_view address);

// True for the keys of this host's own loopback address (127.0.0.1, ::1), which the
// per-client connection and handshake limits leave alone: behind a local reverse proxy every
// viewer arrives from there, and local tools (bench/, sluice-load) open hundreds of sessions.
// Other 127.x addresses are ordinary clients (the tests use them as such). The global limits
// and the authentication failure guard still apply.
bool isLocalHostKey(std::string_view key);

}  // namespace sluice::core
