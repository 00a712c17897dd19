#include "webrtc/StunMessage.h"

#include <netinet/in.h>
#include <openssl/crypto.h>

#include <cstring>

#include "webrtc/SrtpCrypto.h"

namespace sluice::webrtc {

namespace {

constexpr uint32_t kFingerprintXor = 0x5354554e;  // "STUN"
constexpr size_t kAttributeHeaderSize = 4;
constexpr size_t kHmacSize = 20;

uint16_t read16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t read32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}
uint64_t read64(const uint8_t* p) { return uint64_t{read32(p)} << 32 | read32(p + 4); }
void write16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void write32(uint8_t* p, uint32_t v) {
  write16(p, static_cast<uint16_t>(v >> 16));
  write16(p + 2, static_cast<uint16_t>(v));
}
void write64(uint8_t* p, uint64_t v) {
  write32(p, static_cast<uint32_t>(v >> 32));
  write32(p + 4, static_cast<uint32_t>(v));
}
size_t padded(size_t length) { return (length + 3) & ~size_t{3}; }

// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320), as FINGERPRINT specifies.
constexpr std::array<uint32_t, 256> makeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = makeCrcTable();

uint32_t crc32(const uint8_t* data, size_t size) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = kCrcTable[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

// XOR-MAPPED-ADDRESS masks: the cookie for IPv4 and the port, cookie || transaction ID
// for IPv6. `header` is the 20-byte message header.
void xorAddress(const uint8_t* header, StunAddress::Family family, const uint8_t* in, uint8_t* out) {
  const size_t n = family == StunAddress::Family::Ipv4 ? 4 : 16;
  for (size_t i = 0; i < n; ++i) out[i] = in[i] ^ header[4 + i];
}

StunParseError validateAttribute(uint16_t type, const uint8_t* value, size_t length) {
  switch (static_cast<StunAttributeType>(type)) {
    case StunAttributeType::MessageIntegrity:
      return length == kHmacSize ? StunParseError::None : StunParseError::BadAttributeLength;
    case StunAttributeType::Fingerprint:
    case StunAttributeType::Priority:
      return length == 4 ? StunParseError::None : StunParseError::BadAttributeLength;
    case StunAttributeType::UseCandidate:
      return length == 0 ? StunParseError::None : StunParseError::BadAttributeLength;
    case StunAttributeType::IceControlling:
    case StunAttributeType::IceControlled:
      return length == 8 ? StunParseError::None : StunParseError::BadAttributeLength;
    case StunAttributeType::Username:
      return length <= kStunMaxTextLength ? StunParseError::None : StunParseError::BadAttributeLength;
    case StunAttributeType::XorMappedAddress:
      if (length < 4) return StunParseError::BadAttributeLength;
      if (value[1] == static_cast<uint8_t>(StunAddress::Family::Ipv4)) {
        return length == 8 ? StunParseError::None : StunParseError::BadAttributeLength;
      }
      if (value[1] == static_cast<uint8_t>(StunAddress::Family::Ipv6)) {
        return length == 20 ? StunParseError::None : StunParseError::BadAttributeLength;
      }
      return StunParseError::BadAttributeValue;
    case StunAttributeType::ErrorCode: {
      if (length < 4 || length - 4 > kStunMaxTextLength) return StunParseError::BadAttributeLength;
      const unsigned errorClass = value[2] & 0x07u;
      const unsigned number = value[3];
      return errorClass >= 3 && errorClass <= 6 && number < 100 ? StunParseError::None
                                                                : StunParseError::BadAttributeValue;
    }
    default:
      return StunParseError::None;
  }
}

}  // namespace

const char* toString(StunParseError error) {
  switch (error) {
    case StunParseError::None:
      return "none";
    case StunParseError::TooShort:
      return "shorter than a STUN header";
    case StunParseError::NotStun:
      return "leading bits not zero";
    case StunParseError::BadMagicCookie:
      return "bad magic cookie";
    case StunParseError::LengthNotMultipleOf4:
      return "message length not a multiple of 4";
    case StunParseError::LengthMismatch:
      return "message length does not match the datagram";
    case StunParseError::AttributeOverrun:
      return "attribute runs past the end of the message";
    case StunParseError::BadAttributeLength:
      return "attribute has a wrong length";
    case StunParseError::BadAttributeValue:
      return "attribute has an invalid value";
    case StunParseError::AttributeAfterMessageIntegrity:
      return "attribute after MESSAGE-INTEGRITY";
    case StunParseError::AttributeAfterFingerprint:
      return "attribute after FINGERPRINT";
  }
  return "unknown";
}

std::string_view stunErrorReason(uint16_t code) {
  switch (code) {
    case 300:
      return "Try Alternate";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthenticated";
    case 403:
      return "Forbidden";
    case 420:
      return "Unknown Attribute";
    case 438:
      return "Stale Nonce";
    case 487:
      return "Role Conflict";
    case 500:
      return "Server Error";
    default:
      return "Error";
  }
}

// ---- StunAddress ----

StunAddress StunAddress::ipv4(const uint8_t bytes[4], uint16_t port) {
  StunAddress a;
  a.family = Family::Ipv4;
  a.port = port;
  std::memcpy(a.address.data(), bytes, 4);
  return a;
}

StunAddress StunAddress::ipv6(const uint8_t bytes[16], uint16_t port) {
  StunAddress a;
  a.family = Family::Ipv6;
  a.port = port;
  std::memcpy(a.address.data(), bytes, 16);
  return a;
}

std::optional<StunAddress> StunAddress::fromSockaddr(const sockaddr* address, socklen_t length) {
  if (!address) return std::nullopt;
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in in;
    std::memcpy(&in, address, sizeof(in));
    return ipv4(reinterpret_cast<const uint8_t*>(&in.sin_addr), ntohs(in.sin_port));
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6;
    std::memcpy(&in6, address, sizeof(in6));
    const uint8_t* bytes = in6.sin6_addr.s6_addr;
    // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; the peer sees IPv4.
    static constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes, kV4MappedPrefix, sizeof(kV4MappedPrefix)) == 0) {
      return ipv4(bytes + 12, ntohs(in6.sin6_port));
    }
    return ipv6(bytes, ntohs(in6.sin6_port));
  }
  return std::nullopt;
}

// ---- parsing ----

bool isStun(const uint8_t* data, size_t size) {
  return data && size >= kStunHeaderSize && data[0] <= 3 && read32(data + 4) == kStunMagicCookie;
}

StunParseError StunMessage::parse(const uint8_t* data, size_t size) {
  *this = StunMessage{};
  if (!data || size < kStunHeaderSize) return StunParseError::TooShort;
  if (data[0] & 0xC0) return StunParseError::NotStun;
  if (read32(data + 4) != kStunMagicCookie) return StunParseError::BadMagicCookie;
  const size_t length = read16(data + 2);
  if (length % 4 != 0) return StunParseError::LengthNotMultipleOf4;
  if (length + kStunHeaderSize != size) return StunParseError::LengthMismatch;

  size_t integrity = 0, fingerprint = 0;
  size_t offset = kStunHeaderSize;
  while (offset < size) {
    // The body length is a multiple of 4, so a whole attribute header always fits here.
    const uint16_t type = read16(data + offset);
    const size_t valueLength = read16(data + offset + 2);
    if (padded(valueLength) > size - offset - kAttributeHeaderSize) return StunParseError::AttributeOverrun;
    if (fingerprint) return StunParseError::AttributeAfterFingerprint;
    if (integrity && type != static_cast<uint16_t>(StunAttributeType::Fingerprint)) {
      return StunParseError::AttributeAfterMessageIntegrity;
    }
    StunParseError e = validateAttribute(type, data + offset + kAttributeHeaderSize, valueLength);
    if (e != StunParseError::None) return e;
    if (type == static_cast<uint16_t>(StunAttributeType::MessageIntegrity)) integrity = offset;
    if (type == static_cast<uint16_t>(StunAttributeType::Fingerprint)) fingerprint = offset;
    offset += kAttributeHeaderSize + padded(valueLength);
  }
  data_ = data;
  size_ = size;
  integrityOffset_ = integrity;
  fingerprintOffset_ = fingerprint;
  return StunParseError::None;
}

StunMessageType StunMessage::type() const { return static_cast<StunMessageType>(data_ ? rawType() : 0); }

uint16_t StunMessage::method() const {
  if (!data_) return 0;
  // The method bits are interleaved with the two class bits C0 (bit 4) and C1 (bit 8).
  const uint16_t t = rawType();
  return static_cast<uint16_t>((t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2));
}

StunTransactionId StunMessage::transactionId() const {
  StunTransactionId id{};
  if (data_) std::memcpy(id.data(), data_ + 8, id.size());
  return id;
}

std::optional<StunAttribute> StunMessage::attribute(StunAttributeType type) const {
  if (!data_) return std::nullopt;
  size_t offset = kStunHeaderSize;
  while (offset < size_) {
    const uint16_t t = read16(data_ + offset);
    const uint16_t length = read16(data_ + offset + 2);
    if (t == static_cast<uint16_t>(type)) {
      return StunAttribute{type, data_ + offset + kAttributeHeaderSize, length};
    }
    offset += kAttributeHeaderSize + padded(length);
  }
  return std::nullopt;
}

std::optional<std::string_view> StunMessage::username() const {
  auto a = attribute(StunAttributeType::Username);
  if (!a) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(a->value), a->length);
}

std::optional<uint32_t> StunMessage::priority() const {
  auto a = attribute(StunAttributeType::Priority);
  if (!a) return std::nullopt;
  return read32(a->value);
}

bool StunMessage::useCandidate() const { return attribute(StunAttributeType::UseCandidate).has_value(); }

std::optional<uint64_t> StunMessage::readU64(StunAttributeType type) const {
  auto a = attribute(type);
  if (!a) return std::nullopt;
  return read64(a->value);
}

std::optional<uint64_t> StunMessage::iceControlling() const {
  return readU64(StunAttributeType::IceControlling);
}
std::optional<uint64_t> StunMessage::iceControlled() const {
  return readU64(StunAttributeType::IceControlled);
}

std::optional<StunAddress> StunMessage::xorMappedAddress() const {
  auto a = attribute(StunAttributeType::XorMappedAddress);
  if (!a) return std::nullopt;
  StunAddress address;
  address.family = static_cast<StunAddress::Family>(a->value[1]);
  address.port = static_cast<uint16_t>(read16(a->value + 2) ^ (kStunMagicCookie >> 16));
  xorAddress(data_, address.family, a->value + 4, address.address.data());
  return address;
}

std::optional<StunErrorCode> StunMessage::errorCode() const {
  auto a = attribute(StunAttributeType::ErrorCode);
  if (!a) return std::nullopt;
  const auto code = static_cast<uint16_t>((a->value[2] & 0x07) * 100 + a->value[3]);
  return StunErrorCode{code, std::string_view(reinterpret_cast<const char*>(a->value + 4), a->length - 4u)};
}

std::optional<uint16_t> StunMessage::unknownComprehensionRequired() const {
  if (!data_) return std::nullopt;
  size_t offset = kStunHeaderSize;
  while (offset < size_) {
    const uint16_t t = read16(data_ + offset);
    const uint16_t length = read16(data_ + offset + 2);
    if (t < 0x8000) {
      switch (static_cast<StunAttributeType>(t)) {
        case StunAttributeType::MappedAddress:
        case StunAttributeType::Username:
        case StunAttributeType::MessageIntegrity:
        case StunAttributeType::ErrorCode:
        case StunAttributeType::UnknownAttributes:
        case StunAttributeType::XorMappedAddress:
        case StunAttributeType::Priority:
        case StunAttributeType::UseCandidate:
          break;
        default:
          return t;
      }
    }
    offset += kAttributeHeaderSize + padded(length);
  }
  return std::nullopt;
}

bool StunMessage::verifyFingerprint() const {
  if (!fingerprintOffset_) return false;
  // FINGERPRINT is last, so the header length already covers it as the RFC requires.
  const uint32_t expected = crc32(data_, fingerprintOffset_) ^ kFingerprintXor;
  return read32(data_ + fingerprintOffset_ + kAttributeHeaderSize) == expected;
}

bool StunMessage::verifyMessageIntegrity(std::string_view password) const {
  if (!integrityOffset_) return false;
  uint8_t header[kStunHeaderSize];
  std::memcpy(header, data_, sizeof(header));
  write16(header + 2, static_cast<uint16_t>(integrityOffset_ + kStunMessageIntegritySize - kStunHeaderSize));
  // ICE passwords are ice-chars (RFC 8839), for which OpaqueString is the identity.
  SrtpHmacSha1 hmac;
  hmac.setKey(reinterpret_cast<const uint8_t*>(password.data()), password.size());
  uint8_t mac[SrtpHmacSha1::kDigestSize];
  hmac.compute(header, sizeof(header), data_ + kStunHeaderSize, integrityOffset_ - kStunHeaderSize, mac);
  return CRYPTO_memcmp(mac, data_ + integrityOffset_ + kAttributeHeaderSize, kHmacSize) == 0;
}

// ---- building ----

bool StunMessageBuilder::start(StunMessageType type, const StunTransactionId& transactionId) {
  ok_ = true;
  started_ = false;
  hasIntegrity_ = false;
  hasFingerprint_ = false;
  size_ = 0;
  if (!buffer_ || capacity_ < kStunHeaderSize) return fail();
  write16(buffer_, static_cast<uint16_t>(type));
  write16(buffer_ + 2, 0);
  write32(buffer_ + 4, kStunMagicCookie);
  std::memcpy(buffer_ + 8, transactionId.data(), transactionId.size());
  size_ = kStunHeaderSize;
  started_ = true;
  return true;
}

void StunMessageBuilder::setLengthField(size_t bodyLength) {
  write16(buffer_ + 2, static_cast<uint16_t>(bodyLength));
}

uint8_t* StunMessageBuilder::reserve(StunAttributeType type, size_t length) {
  const bool isFingerprint = type == StunAttributeType::Fingerprint;
  if (!ok_ || !started_ || hasFingerprint_ || (hasIntegrity_ && !isFingerprint)) {
    fail();
    return nullptr;
  }
  const size_t total = kAttributeHeaderSize + padded(length);
  if (length > 0xFFFF || total > capacity_ - size_ || size_ + total - kStunHeaderSize > 0xFFFF) {
    fail();
    return nullptr;
  }
  uint8_t* p = buffer_ + size_;
  write16(p, static_cast<uint16_t>(type));
  write16(p + 2, static_cast<uint16_t>(length));
  std::memset(p + kAttributeHeaderSize + length, 0, padded(length) - length);
  size_ += total;
  setLengthField(size_ - kStunHeaderSize);
  return p + kAttributeHeaderSize;
}

bool StunMessageBuilder::appendAttribute(StunAttributeType type, const uint8_t* value, size_t length) {
  uint8_t* p = reserve(type, length);
  if (!p) return false;
  if (length > 0) std::memcpy(p, value, length);
  return true;
}

bool StunMessageBuilder::appendUsername(std::string_view username) {
  if (username.size() > kStunMaxTextLength) return fail();
  return appendAttribute(StunAttributeType::Username, reinterpret_cast<const uint8_t*>(username.data()),
                         username.size());
}

bool StunMessageBuilder::appendPriority(uint32_t priority) {
  uint8_t* p = reserve(StunAttributeType::Priority, 4);
  if (!p) return false;
  write32(p, priority);
  return true;
}

bool StunMessageBuilder::appendIceControlling(uint64_t tieBreaker) {
  uint8_t* p = reserve(StunAttributeType::IceControlling, 8);
  if (!p) return false;
  write64(p, tieBreaker);
  return true;
}

bool StunMessageBuilder::appendIceControlled(uint64_t tieBreaker) {
  uint8_t* p = reserve(StunAttributeType::IceControlled, 8);
  if (!p) return false;
  write64(p, tieBreaker);
  return true;
}

bool StunMessageBuilder::appendUseCandidate() {
  return reserve(StunAttributeType::UseCandidate, 0) != nullptr;
}

bool StunMessageBuilder::appendXorMappedAddress(const StunAddress& address) {
  const bool v4 = address.family == StunAddress::Family::Ipv4;
  if (!v4 && address.family != StunAddress::Family::Ipv6) return fail();
  uint8_t* p = reserve(StunAttributeType::XorMappedAddress, v4 ? 8 : 20);
  if (!p) return false;
  p[0] = 0;
  p[1] = static_cast<uint8_t>(address.family);
  write16(p + 2, static_cast<uint16_t>(address.port ^ (kStunMagicCookie >> 16)));
  xorAddress(buffer_, address.family, address.address.data(), p + 4);
  return true;
}

bool StunMessageBuilder::appendErrorCode(uint16_t code, std::string_view reason) {
  if (code < 300 || code > 699 || reason.size() > kStunMaxTextLength) return fail();
  uint8_t* p = reserve(StunAttributeType::ErrorCode, 4 + reason.size());
  if (!p) return false;
  p[0] = 0;
  p[1] = 0;
  p[2] = static_cast<uint8_t>(code / 100);
  p[3] = static_cast<uint8_t>(code % 100);
  if (!reason.empty()) std::memcpy(p + 4, reason.data(), reason.size());
  return true;
}

bool StunMessageBuilder::appendMessageIntegrity(std::string_view password) {
  // reserve() sets the header length to end after this attribute, which is exactly the
  // length the HMAC must see.
  uint8_t* p = reserve(StunAttributeType::MessageIntegrity, kHmacSize);
  if (!p) return false;
  SrtpHmacSha1 hmac;
  hmac.setKey(reinterpret_cast<const uint8_t*>(password.data()), password.size());
  hmac.compute(buffer_, size_ - kStunMessageIntegritySize, nullptr, 0, p);
  hasIntegrity_ = true;
  return true;
}

bool StunMessageBuilder::appendFingerprint() {
  uint8_t* p = reserve(StunAttributeType::Fingerprint, 4);
  if (!p) return false;
  write32(p, crc32(buffer_, size_ - kStunFingerprintSize) ^ kFingerprintXor);
  hasFingerprint_ = true;
  return true;
}

bool StunMessageBuilder::bindingSuccess(const StunTransactionId& transactionId, const StunAddress& mapped) {
  return start(StunMessageType::BindingSuccessResponse, transactionId) && appendXorMappedAddress(mapped);
}

bool StunMessageBuilder::bindingError(const StunTransactionId& transactionId, uint16_t code,
                                      std::string_view reason) {
  return start(StunMessageType::BindingErrorResponse, transactionId) &&
         appendErrorCode(code, reason.empty() ? stunErrorReason(code) : reason);
}

bool StunMessageBuilder::bindingRequest(const StunTransactionId& transactionId, std::string_view username,
                                        uint32_t priority, uint64_t tieBreaker, bool useCandidate) {
  return start(StunMessageType::BindingRequest, transactionId) && appendUsername(username) &&
         appendPriority(priority) && appendIceControlling(tieBreaker) &&
         (!useCandidate || appendUseCandidate());
}

}  // namespace sluice::webrtc
