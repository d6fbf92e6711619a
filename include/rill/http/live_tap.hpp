// A pass-through stage that shows a pipeline's predictions in the live view.
#pragma once

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/http/live_feed.hpp"

RILL_NAMESPACE_BEGIN

/// `prediction<T>` in, the same `prediction<T>` out; each one is also offered to a
/// `live_feed` (which samples it 1 in N, or above its threshold). Put it after the
/// predict stage: `predict(model) | live_tap<float>(feed) | sink`.
///
/// O(1) per prediction (see live_feed::on_prediction), never allocates, never blocks.
/// Runs on the pipeline thread, which must be the feed's only producer. The feed must
/// outlive the stage.
template <class T = float>
class live_tap {
 public:
  using input_type = prediction<T>;
  using output_type = prediction<T>;

  explicit live_tap(live_feed& feed) noexcept : feed_(&feed) {}

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const input_type& p, Emit&& emit) noexcept {
    feed_->on_prediction(p);
    emit(p);
  }

 private:
  live_feed* feed_;
};

RILL_NAMESPACE_END
