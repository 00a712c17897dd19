#pragma once
// STUN (RFC 5389 / RFC 8489) as needed by an ICE-lite agent (RFC 8445): a zero-copy
// parser of Binding messages from the network and a builder writing into a caller buffer.
//
// Parsing validates the whole message once (header, attribute framing, the sizes of the
// attributes we understand, MESSAGE-INTEGRITY/FINGERPRINT placement); the accessors then
// only scan the validated attributes. Nothing allocates. The message bytes must outlive
// the StunMessage (the accessors return views into them).
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::webrtc {

constexpr uint32_t kStunMagicCookie = 0x2112A442;
constexpr size_t kStunHeaderSize = 20;
constexpr size_t kStunMessageIntegritySize = 24;  // attribute header + HMAC-SHA1
constexpr size_t kStunFingerprintSize = 8;        // attribute header + CRC-32
// RFC 8489 14.3 / 14.8: USERNAME and the ERROR-CODE reason are at most 763 bytes.
constexpr size_t kStunMaxTextLength = 763;

using StunTransactionId = std::array<uint8_t, 12>;

enum class StunMessageType : uint16_t {
  BindingRequest = 0x0001,
  BindingIndication = 0x0011,
  BindingSuccessResponse = 0x0101,
  BindingErrorResponse = 0x0111,
};

enum class StunAttributeType : uint16_t {
  MappedAddress = 0x0001,
  Username = 0x0006,
  MessageIntegrity = 0x0008,
  ErrorCode = 0x0009,
  UnknownAttributes = 0x000A,
  Realm = 0x0014,
  Nonce = 0x0015,
  MessageIntegritySha256 = 0x001C,
  XorMappedAddress = 0x0020,
  Priority = 0x0024,
  UseCandidate = 0x0025,
  Software = 0x8022,
  Fingerprint = 0x8028,
  IceControlled = 0x8029,
  IceControlling = 0x802A,
};

enum class StunParseError : uint8_t {
  None,
  TooShort,                        // fewer than 20 bytes
  NotStun,                         // the two leading bits are not zero
  BadMagicCookie,                  // RFC 3489 messages are not supported
  LengthNotMultipleOf4,            // header length field
  LengthMismatch,                  // header length field != datagram size - 20
  AttributeOverrun,                // an attribute (with padding) runs past the end
  BadAttributeLength,              // wrong size for a known attribute (e.g. PRIORITY != 4)
  BadAttributeValue,               // e.g. unknown address family, ERROR-CODE class not 3..6
  AttributeAfterMessageIntegrity,  // only FINGERPRINT may follow MESSAGE-INTEGRITY
  AttributeAfterFingerprint,       // FINGERPRINT must be last
};
const char* toString(StunParseError error);

// A transport address as carried by XOR-MAPPED-ADDRESS. `address` is in network order;
// IPv4 uses its first 4 bytes.
struct StunAddress {
  enum class Family : uint8_t { Ipv4 = 0x01, Ipv6 = 0x02 };
  Family family = Family::Ipv4;
  uint16_t port = 0;
  std::array<uint8_t, 16> address{};

  static StunAddress ipv4(const uint8_t bytes[4], uint16_t port);
  static StunAddress ipv6(const uint8_t bytes[16], uint16_t port);
  // From a sockaddr_in / sockaddr_in6 (e.g. the sender of a datagram); nullopt otherwise.
  static std::optional<StunAddress> fromSockaddr(const sockaddr* address, socklen_t length);
  bool operator==(const StunAddress&) const = default;
};

struct StunAttribute {
  StunAttributeType type;
  const uint8_t* value;
  uint16_t length;
};

struct StunErrorCode {
  uint16_t code;  // 300..699
  std::string_view reason;
};

// RFC 7983 demultiplexing: first byte 0..3 and the magic cookie, on at least a header.
bool isStun(const uint8_t* data, size_t size);

class StunMessage {
 public:
  // Validates one complete datagram; on error the message is left empty.
  StunParseError parse(const uint8_t* data, size_t size);

  StunMessageType type() const;
  uint16_t method() const;  // 0x001 for Binding
  bool isRequest() const { return (rawType() & 0x0110) == 0x0000; }
  bool isIndication() const { return (rawType() & 0x0110) == 0x0010; }
  bool isSuccessResponse() const { return (rawType() & 0x0110) == 0x0100; }
  bool isErrorResponse() const { return (rawType() & 0x0110) == 0x0110; }
  StunTransactionId transactionId() const;
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

  // The first attribute of that type (later duplicates are ignored, RFC 8489 14).
  std::optional<StunAttribute> attribute(StunAttributeType type) const;
  std::optional<std::string_view> username() const;
  std::optional<uint32_t> priority() const;
  bool useCandidate() const;
  std::optional<uint64_t> iceControlling() const;  // tie-breaker
  std::optional<uint64_t> iceControlled() const;
  std::optional<StunAddress> xorMappedAddress() const;
  std::optional<StunErrorCode> errorCode() const;
  // First comprehension-required attribute (type < 0x8000) this parser does not know:
  // a request carrying one must be answered with 420 (RFC 8489 6.3.1).
  std::optional<uint16_t> unknownComprehensionRequired() const;

  bool hasMessageIntegrity() const { return integrityOffset_ != 0; }
  bool hasFingerprint() const { return fingerprintOffset_ != 0; }
  // CRC-32 of the message up to FINGERPRINT, XOR 0x5354554e (RFC 8489 14.7).
  // False when the attribute is absent or does not match.
  bool verifyFingerprint() const;
  // Short-term credential check (RFC 8489 9.1): HMAC-SHA1 keyed with the password over
  // the message up to MESSAGE-INTEGRITY, with the header length counting up to the end
  // of MESSAGE-INTEGRITY (so a trailing FINGERPRINT is excluded). Constant-time compare.
  bool verifyMessageIntegrity(std::string_view password) const;

 private:
  uint16_t rawType() const { return static_cast<uint16_t>(data_[0] << 8 | data_[1]); }
  std::optional<uint64_t> readU64(StunAttributeType type) const;

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t integrityOffset_ = 0;    // offset of the MESSAGE-INTEGRITY attribute header
  size_t fingerprintOffset_ = 0;  // offset of the FINGERPRINT attribute header
};

// Writes one STUN message into a caller buffer. Every append checks the capacity; the
// first failure makes the builder sticky-failed (ok() false, size() 0), so a caller can
// chain appends and check once. Padding bytes are zero (RFC 8489 14).
//
//   StunMessageBuilder b(buf, sizeof(buf));
//   b.bindingSuccess(request.transactionId(), mappedAddress);
//   b.appendMessageIntegrity(localPassword);
//   b.appendFingerprint();
//   if (b.ok()) send(buf, b.size());
class StunMessageBuilder {
 public:
  StunMessageBuilder(uint8_t* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}

  // Header only; attributes follow.
  bool start(StunMessageType type, const StunTransactionId& transactionId);
  // Binding success response with XOR-MAPPED-ADDRESS (IPv4 or IPv6).
  bool bindingSuccess(const StunTransactionId& transactionId, const StunAddress& mapped);
  // Binding error response with ERROR-CODE; an empty reason uses the RFC phrase.
  bool bindingError(const StunTransactionId& transactionId, uint16_t code, std::string_view reason = {});
  // ICE connectivity check from a controlling agent: USERNAME, PRIORITY,
  // ICE-CONTROLLING and (when nominating) USE-CANDIDATE.
  bool bindingRequest(const StunTransactionId& transactionId, std::string_view username, uint32_t priority,
                      uint64_t tieBreaker, bool useCandidate);

  bool appendUsername(std::string_view username);
  bool appendPriority(uint32_t priority);
  bool appendIceControlling(uint64_t tieBreaker);
  bool appendIceControlled(uint64_t tieBreaker);
  bool appendUseCandidate();
  bool appendXorMappedAddress(const StunAddress& address);
  bool appendErrorCode(uint16_t code, std::string_view reason);
  bool appendAttribute(StunAttributeType type, const uint8_t* value, size_t length);
  // Must come after all other attributes except FINGERPRINT.
  bool appendMessageIntegrity(std::string_view password);
  // Must be last.
  bool appendFingerprint();

  bool ok() const { return ok_; }
  size_t size() const { return ok_ ? size_ : 0; }
  uint8_t* data() const { return buffer_; }

 private:
  bool fail() { return ok_ = false; }
  // Reserves an attribute header + padded value, updating the header length field.
  uint8_t* reserve(StunAttributeType type, size_t length);
  void setLengthField(size_t bodyLength);

  uint8_t* buffer_;
  size_t capacity_;
  size_t size_ = 0;
  bool ok_ = true;
  bool started_ = false;
  bool hasIntegrity_ = false;
  bool hasFingerprint_ = false;
};

// The RFC 8489 reason phrase of a common error code ("Bad Request" for 400...).
std::string_view stunErrorReason(uint16_t code);

}  // namespace sluice::webrtc
