// Room for a run's checkers inside the OracleSet that runs them.
//
// Every run builds six checkers, a few KiB together. From the heap that was six
// allocations too big for the allocator's per-thread cache, and with their frees a
// couple of percent of a short fuzz run. The arena hands out slices of a buffer
// that lives in the set itself; a checker that does not fit (the buffer is sized
// with room to spare) comes from the heap instead and is returned with the arena.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace synfin::harness {

class CheckerArena {
 public:
  CheckerArena() = default;
  CheckerArena(const CheckerArena&) = delete;
  CheckerArena& operator=(const CheckerArena&) = delete;

  // Builds a T from `args` in memory that lives as long as the arena; the
  // object's destructor is the caller's to run.
  template <class T, class... Args>
  T* make(Args&&... args) {
    static_assert(alignof(T) <= alignof(std::max_align_t), "over-aligned types need their own arena");
    return ::new (allocate(sizeof(T), alignof(T))) T(std::forward<Args>(args)...);
  }

  size_t used() const { return used_; }
  size_t overflowed() const { return overflow_.size(); }
  static constexpr size_t capacity() { return kBytes; }

 private:
  static constexpr size_t kBytes = 16 << 10;

  void* allocate(size_t size, size_t align) {
    const size_t start = (used_ + align - 1) / align * align;
    if (start + size <= kBytes) {
      used_ = start + size;
      return bytes_ + start;
    }
    // new[] of bytes is aligned for any type of fundamental alignment.
    overflow_.push_back(std::unique_ptr<std::byte[]>(new std::byte[size]));
    return overflow_.back().get();
  }

  alignas(std::max_align_t) std::byte bytes_[kBytes];
  size_t used_ = 0;
  std::vector<std::unique_ptr<std::byte[]>> overflow_;
};

}  // namespace synfin::harness
