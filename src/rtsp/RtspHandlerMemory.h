#pragma once
// Fixed storage for the single outstanding operation of an Asio receive loop, so that
// re-arming a socket read after every packet never touches the heap. Asio frees an
// operation's memory before running its handler, so a loop that re-arms from inside the
// handler reuses the same block forever; anything else falls back to operator new.
#include <cstddef>
#include <new>
#include <utility>

namespace sluice::rtsp {

class RtspHandlerMemory {
 public:
  RtspHandlerMemory() = default;
  RtspHandlerMemory(const RtspHandlerMemory&) = delete;
  RtspHandlerMemory& operator=(const RtspHandlerMemory&) = delete;

  void* allocate(size_t size) {
    if (!inUse_ && size <= sizeof(storage_)) {
      inUse_ = true;
      return &storage_;
    }
    return ::operator new(size);
  }
  void deallocate(void* p) {
    if (p == &storage_) {
      inUse_ = false;
    } else {
      ::operator delete(p);
    }
  }

 private:
  alignas(std::max_align_t) unsigned char storage_[512];
  bool inUse_ = false;
};

template <class T>
class RtspHandlerAllocator {
 public:
  using value_type = T;
  explicit RtspHandlerAllocator(RtspHandlerMemory& memory) : memory_(&memory) {}
  template <class U>
  RtspHandlerAllocator(const RtspHandlerAllocator<U>& other) noexcept : memory_(other.memory_) {}

  T* allocate(size_t n) { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
  void deallocate(T* p, size_t) { memory_->deallocate(p); }
  bool operator==(const RtspHandlerAllocator& o) const noexcept { return memory_ == o.memory_; }
  bool operator!=(const RtspHandlerAllocator& o) const noexcept { return memory_ != o.memory_; }

 private:
  template <class>
  friend class RtspHandlerAllocator;
  RtspHandlerMemory* memory_;
};

// Wraps a completion handler so Asio allocates its operation from `memory`.
template <class Handler>
class RtspBoundHandler {
 public:
  using allocator_type = RtspHandlerAllocator<Handler>;
  RtspBoundHandler(RtspHandlerMemory& memory, Handler handler)
      : memory_(&memory), handler_(std::move(handler)) {}
  allocator_type get_allocator() const noexcept { return allocator_type(*memory_); }
  template <class... Args>
  void operator()(Args&&... args) {
    handler_(std::forward<Args>(args)...);
  }

 private:
  RtspHandlerMemory* memory_;
  Handler handler_;
};

template <class Handler>
RtspBoundHandler<Handler> bindHandlerMemory(RtspHandlerMemory& memory, Handler handler) {
  return RtspBoundHandler<Handler>(memory, std::move(handler));
}

}  // namespace sluice::rtsp
