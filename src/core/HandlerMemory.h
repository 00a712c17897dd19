#pragma once
// Fixed storage for the one outstanding Asio operation of a loop (a socket read that re-arms
// itself, a media write, a tick timer), so the steady state never touches the heap: Asio
// asks a handler's associated allocator for its operation object. 2 KiB holds a gathered
// async_write of up to 64 buffers. A second concurrent request, or a bigger one, falls back
// to operator new.
#include <cstddef>
#include <new>
#include <utility>

namespace sluice::core {

class HandlerMemory {
 public:
  static constexpr size_t kSize = 2048;

  HandlerMemory() = default;
  HandlerMemory(const HandlerMemory&) = delete;
  HandlerMemory& operator=(const HandlerMemory&) = delete;

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

template <class T>
class HandlerAllocator {
 public:
  using value_type = T;
  explicit HandlerAllocator(HandlerMemory& memory) : memory_(&memory) {}
  template <class U>
  HandlerAllocator(const HandlerAllocator<U>& other) noexcept : memory_(other.memory_) {}

  T* allocate(size_t n) { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
  void deallocate(T* p, size_t) { memory_->deallocate(p); }
  bool operator==(const HandlerAllocator& o) const noexcept { return memory_ == o.memory_; }
  bool operator!=(const HandlerAllocator& o) const noexcept { return memory_ != o.memory_; }

 private:
  template <class>
  friend class HandlerAllocator;
  HandlerMemory* memory_;
};

// A completion handler whose associated allocator is `memory`.
template <class Handler>
class BoundHandler {
 public:
  using allocator_type = HandlerAllocator<Handler>;
  BoundHandler(HandlerMemory& memory, Handler handler) : memory_(&memory), handler_(std::move(handler)) {}
  allocator_type get_allocator() const noexcept { return allocator_type(*memory_); }
  template <class... Args>
  void operator()(Args&&... args) {
    handler_(std::forward<Args>(args)...);
  }

 private:
  HandlerMemory* memory_;
  Handler handler_;
};

template <class Handler>
BoundHandler<Handler> withMemory(HandlerMemory& memory, Handler handler) {
  return BoundHandler<Handler>(memory, std::move(handler));
}

}  // namespace sluice::core
