// Internal: std::allocator with a stated alignment, for arrays whose rows or blocks
// must start on cache-line (and register) boundaries.
#pragma once

#include <cstddef>
#include <new>

#include "rill/config.hpp"

RILL_NAMESPACE_BEGIN
namespace detail {

template <class T, std::size_t Align = 64>
struct aligned_allocator {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = aligned_allocator<U, Align>;
  };
  aligned_allocator() noexcept = default;
  template <class U>
  aligned_allocator(const aligned_allocator<U, Align>&) noexcept {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{Align}));
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete (p, std::align_val_t{Align}); }
  template <class U>
  bool operator==(const aligned_allocator<U, Align>&) const noexcept {
    return true;
  }
};

}  // namespace detail
RILL_NAMESPACE_END
