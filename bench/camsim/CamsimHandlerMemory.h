#pragma once
// Fixed storage for the one outstanding Asio operation of a loop (a socket read that re-arms
// itself, a session's media write, the tick timer), so the steady state never touches the
// heap. It is larger than rtsp::RtspHandlerMemory because a gathered async_write keeps up to
// 64 prepared buffers (about 1 KiB) inside its operation object. A second concurrent request,
// or a bigger one, falls back to operator new.
#include <cstddef>
#include <new>
#include <utility>

namespace sluice::camsim {

class CamsimHandlerMemory {
 public:
  static constexpr size_t kSize = 2048;

  CamsimHandlerMemory() = default;
  CamsimHandlerMemory(const CamsimHandlerMemory&) = delete;
  CamsimHandlerMemory& operator=(const CamsimHandlerMemory&) = delete;

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
class CamsimHandlerAllocator {
 public:
  using value_type = T;
  explicit CamsimHandlerAllocator(CamsimHandlerMemory& memory) : memory_(&memory) {}
  template <class U>
  CamsimHandlerAllocator(const CamsimHandlerAllocator<U>& other) noexcept : memory_(other.memory_) {}

  T* allocate(size_t n) { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
  void deallocate(T* p, size_t) { memory_->deallocate(p); }
  bool operator==(const CamsimHandlerAllocator& o) const noexcept { return memory_ == o.memory_; }
  bool operator!=(const CamsimHandlerAllocator& o) const noexcept { return memory_ != o.memory_; }

 private:
  template <class>
  friend class CamsimHandlerAllocator;
  CamsimHandlerMemory* memory_;
};

// A completion handler whose associated allocator is `memory`.
template <class Handler>
class CamsimBoundHandler {
 public:
  using allocator_type = CamsimHandlerAllocator<Handler>;
  CamsimBoundHandler(CamsimHandlerMemory& memory, Handler handler)
      : memory_(&memory), handler_(std::move(handler)) {}
  allocator_type get_allocator() const noexcept { return allocator_type(*memory_); }
  template <class... Args>
  void operator()(Args&&... args) {
    handler_(std::forward<Args>(args)...);
  }

 private:
  CamsimHandlerMemory* memory_;
  Handler handler_;
};

template <class Handler>
CamsimBoundHandler<Handler> withMemory(CamsimHandlerMemory& memory, Handler handler) {
  return CamsimBoundHandler<Handler>(memory, std::move(handler));
}

}  // namespace sluice::camsim
