#pragma once
// Memory for the asio operation of a handler that is never in flight twice (the egress flush of
// a turn, the UDP mux's pending receive, one slot of a worker's inbox): asio takes the
// operation from this fixed block instead of the heap, so re-arming such a handler per packet
// allocates nothing. (Asio's own per-thread recycling runs dry as soon as a packet's handling
// posts something else, or when the handler is posted from another thread.)
// Whoever owns the block guarantees one operation at a time; a larger or second request falls
// back to the heap, so a mistake costs an allocation, never memory safety. The block is shared
// with the pending operation: an io_context destroyed after the block's owner (a stopped
// worker's queue) still frees the operation into live memory.
#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace sluice::webrtc {

class HandlerMemory {
 public:
  HandlerMemory() = default;
  HandlerMemory(const HandlerMemory&) = delete;
  HandlerMemory& operator=(const HandlerMemory&) = delete;

  void* allocate(size_t size) {
    if (!inUse_ && size <= sizeof(storage_)) {
      inUse_ = true;
      return storage_;
    }
    return ::operator new(size);
  }
  void deallocate(void* p) {
    if (p == storage_) {
      inUse_ = false;
    } else {
      ::operator delete(p);
    }
  }

 private:
  alignas(std::max_align_t) unsigned char storage_[256];
  bool inUse_ = false;
};

// The allocator asio finds on a handler (associated_allocator: a nested allocator_type).
template <class T>
class HandlerAllocator {
 public:
  using value_type = T;
  explicit HandlerAllocator(std::shared_ptr<HandlerMemory> memory) : memory_(std::move(memory)) {}
  template <class U>
  HandlerAllocator(const HandlerAllocator<U>& other) noexcept : memory_(other.memory_) {}

  T* allocate(size_t n) { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
  void deallocate(T* p, size_t) { memory_->deallocate(p); }
  template <class U>
  bool operator==(const HandlerAllocator<U>& other) const noexcept {
    return memory_ == other.memory_;
  }
  template <class U>
  bool operator!=(const HandlerAllocator<U>& other) const noexcept {
    return memory_ != other.memory_;
  }

 private:
  template <class>
  friend class HandlerAllocator;
  std::shared_ptr<HandlerMemory> memory_;  // shared: lives as long as an operation in it
};

// `handler` with its operation placed in `memory`.
template <class Handler>
class HandlerWithMemory {
 public:
  using allocator_type = HandlerAllocator<Handler>;
  HandlerWithMemory(std::shared_ptr<HandlerMemory> memory, Handler handler)
      : memory_(std::move(memory)), handler_(std::move(handler)) {}
  allocator_type get_allocator() const noexcept { return allocator_type(memory_); }
  template <class... Args>
  void operator()(Args&&... args) {
    handler_(std::forward<Args>(args)...);
  }

 private:
  std::shared_ptr<HandlerMemory> memory_;
  Handler handler_;
};

template <class Handler>
HandlerWithMemory<Handler> withMemory(const std::shared_ptr<HandlerMemory>& memory, Handler handler) {
  return HandlerWithMemory<Handler>(memory, std::move(handler));
}

}  // namespace sluice::webrtc
