#pragma once
// Receive-side sequence bookkeeping of one RTP stream, the way a browser's NACK module keeps
// it: which sequence numbers arrived, which are missing and when to NACK them, which were
// given up on, and whether an access unit is complete (for time to first keyframe).
//
// Fixed-size state, no allocation per packet: a ring of the last kRingSize sequence numbers
// and a bounded list of missing ones. Single-threaded.
#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::load {

struct NackPolicy {
  // A gap is NACKed only after this long, so mere reordering costs no NACK.
  int64_t reorderWaitUs = 10'000;
  // Without an RTT estimate, re-NACK at a fixed interval (Chromium uses the RTT, at least 5 ms
  // on loopback; this is gentler on the server), at most maxNacks times...
  int64_t renackIntervalUs = 150'000;
  int maxNacks = 6;
  // ...and give the packet up one second after the gap was seen (a browser's jitter buffer
  // would have moved on by then and asked for a keyframe).
  int64_t giveUpUs = 1'000'000;
  // A jump larger than this is a stream discontinuity, not loss: nothing is NACKed.
  int64_t maxGap = 1000;
};

class SequenceTracker {
 public:
  static constexpr size_t kRingSize = 4096;    // power of two
  static constexpr size_t kMaxMissing = 1024;  // entries waiting for NACK recovery
  static constexpr int kMaxAccessUnitPackets = 2048;

  enum class State : uint8_t { Unknown, Received, Missing, Lost };
  enum class Arrival : uint8_t {
    New,              // above the highest sequence so far (in order or after a gap)
    Reordered,        // filled a gap before any NACK for it was sent
    Retransmission,   // filled a gap that was NACKed
    LateAfterGiveUp,  // arrived after it was given up (and counted lost)
    Duplicate,
    TooOld,  // older than the ring or the stream's first packet
  };

  explicit SequenceTracker(NackPolicy policy = {}) : policy_(policy) {}

  // Extended sequence number of `seq` relative to the highest one so far (RFC 3550 A.1). The
  // stream's first packet keeps its 16-bit value, i.e. rollover counter 0 as SRTP counts it,
  // so the extended number is also the SRTP index. Negative: before the stream's start.
  int64_t extend(uint16_t seq) const;
  State state(int64_t ext) const;

  // Records an arrival. `flags`: payload_flags of the decrypted payload, 0 if not read.
  Arrival onPacket(int64_t ext, uint32_t timestamp, bool marker, uint8_t flags, int64_t nowUs);

  // Sequence numbers due for a NACK now, ascending (wrap-aware), at most `capacity`; gives
  // up on those past the policy's deadline. Returns how many were written.
  size_t pollNacks(int64_t nowUs, uint16_t* out, size_t capacity);

  // payload_flags of the access unit containing `ext`, OR-ed over its packets, if every packet
  // from its start to its marker has arrived and was read; 0 otherwise.
  uint8_t completeAccessUnitFlags(int64_t ext) const;

  bool started() const { return started_; }
  int64_t highest() const { return highest_; }
  uint64_t lost() const { return lost_; }                   // given up, net of late arrivals
  uint64_t nackedPackets() const { return nackedUnique_; }  // distinct sequence numbers NACKed
  uint64_t nackRequests() const { return nackRequests_; }   // sequence numbers in NACKs, repeats included
  uint64_t discontinuities() const { return discontinuities_; }
  // Given-up count since the last call (a reason to ask for a keyframe).
  uint64_t takeNewlyLost() {
    uint64_t n = newlyLost_;
    newlyLost_ = 0;
    return n;
  }

 private:
  struct Slot {
    uint32_t ext32 = 0;  // low 32 bits of the extended sequence number held here
    uint32_t timestamp = 0;
    State state = State::Unknown;
    uint8_t flags = 0;
    bool marker = false;
    bool nacked = false;
  };
  struct MissingEntry {
    int64_t ext;
    int64_t detectedUs;
    int64_t nextNackUs;
    int nacks;
  };

  Slot& slot(int64_t ext) { return ring_[static_cast<size_t>(ext) & (kRingSize - 1)]; }
  const Slot* find(int64_t ext) const;  // the slot if it still describes `ext`
  const Slot* received(int64_t ext) const;
  void markMissing(int64_t ext, int64_t nowUs);
  void giveUp(Slot& s);

  NackPolicy policy_;
  std::array<Slot, kRingSize> ring_{};
  // Missing sequence numbers in ascending order (gaps are only found above the highest).
  std::array<MissingEntry, kMaxMissing> missing_{};
  size_t missingCount_ = 0;

  bool started_ = false;
  int64_t firstExt_ = 0;
  int64_t highest_ = 0;
  uint64_t lost_ = 0, newlyLost_ = 0, nackedUnique_ = 0, nackRequests_ = 0, discontinuities_ = 0;
};

}  // namespace sluice::load
