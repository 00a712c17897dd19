#pragma once
// Fixed storage for the one outstanding Asio operation of a handler that is never in flight
// twice (a socket read that re-arms itself, a media write, a tick timer, the egress flush of a
// turn, one slot of a worker's inbox), so the steady state never touches the heap: Asio asks a
// handler's associated allocator for its operation object. (Asio's own per-thread recycling
// runs dry as soon as a packet's handling posts something else, or when the handler is posted
// from another thread.) Whoever owns the block guarantees one operation at a time; a second
// concurrent request, or a bigger one, falls back to operator new, so a mistake costs an
// allocation, never memory safety.
//
// Two ways to bind a handler to a block: withMemory(block&, h) when the block outlives every
// operation placed in it (a member of the object the handler keeps alive), and
// withMemory(shared_ptr<block>, h) when the io_context may be destroyed after the block's owner
// (a stopped worker's queue): the operation then shares the block and frees into live memory.
#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace sluice::core {

template <size_t Size>
class FixedHandlerMemory {
 public:
  static constexpr size_t kSize = Size;

  FixedHandlerMemory() = default;
  FixedHandlerMemory(const FixedHandlerMemory&) = delete;
  FixedHandlerMemory& operator=(const FixedHandlerMemory&) = delete;

  void* allocate(size_t size) {
    if (!inUse_ && size <= kSize) {
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
  alignas(std::max_align_t) unsigned char storage_[kSize];
  bool inUse_ = false;
};

// 2 KiB holds a gathered async_write of up to 64 buffers.
using HandlerMemory = FixedHandlerMemory<2048>;
// A posted lambda or a timer wait: small enough to keep one per inbox slot.
using SmallHandlerMemory = FixedHandlerMemory<256>;

// The allocator Asio finds on a handler (associated_allocator: a nested allocator_type).
// `Ref` is how it holds the block: a raw pointer (borrowed) or a shared_ptr (shared).
template <class T, class Ref>
class HandlerAllocator {
 public:
  using value_type = T;
  explicit HandlerAllocator(Ref memory) : memory_(std::move(memory)) {}
  template <class U>
  HandlerAllocator(const HandlerAllocator<U, Ref>& other) noexcept : memory_(other.memory_) {}

  T* allocate(size_t n) { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
  void deallocate(T* p, size_t) { memory_->deallocate(p); }
  template <class U>
  bool operator==(const HandlerAllocator<U, Ref>& o) const noexcept {
    return memory_ == o.memory_;
  }
  template <class U>
  bool operator!=(const HandlerAllocator<U, Ref>& o) const noexcept {
    return memory_ != o.memory_;
  }

 private:
  template <class, class>
  friend class HandlerAllocator;
  Ref memory_;
};

// A completion handler whose associated allocator is its block.
template <class Handler, class Ref>
class BoundHandler {
 public:
  using allocator_type = HandlerAllocator<Handler, Ref>;
  BoundHandler(Ref memory, Handler handler) : memory_(std::move(memory)), handler_(std::move(handler)) {}
  allocator_type get_allocator() const noexcept { return allocator_type(memory_); }
  template <class... Args>
  void operator()(Args&&... args) {
    handler_(std::forward<Args>(args)...);
  }

 private:
  Ref memory_;
  Handler handler_;
};

// The block outlives every operation placed in it.
template <size_t Size, class Handler>
BoundHandler<Handler, FixedHandlerMemory<Size>*> withMemory(FixedHandlerMemory<Size>& memory,
                                                            Handler handler) {
  return BoundHandler<Handler, FixedHandlerMemory<Size>*>(&memory, std::move(handler));
}

// The operation shares the block (it may outlive the block's owner).
template <size_t Size, class Handler>
BoundHandler<Handler, std::shared_ptr<FixedHandlerMemory<Size>>> withMemory(
    const std::shared_ptr<FixedHandlerMemory<Size>>& memory, Handler handler) {
  return BoundHandler<Handler, std::shared_ptr<FixedHandlerMemory<Size>>>(memory, std::move(handler));
}

}  // namespace sluice::core
