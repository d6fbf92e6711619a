// Distributing model checkpoints through Redis: a learner publishes, inference
// processes follow into their model slot (compiled part: src/redis/model_channel.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "rill/config.hpp"
#include "rill/io/checkpoint.hpp"
#include "rill/redis/connection.hpp"
#include "rill/runtime/model_slot.hpp"

RILL_NAMESPACE_BEGIN
namespace redis {

/// Settings shared by publisher and follower.
struct model_channel_options {
  connection_options redis;
  /// A stream whose entries are (version, checkpoint): the newest entry is the model.
  std::string key = "rill:model";
  std::size_t keep = 4;                 ///< checkpoints kept in the stream (MAXLEN, exact)
  std::chrono::milliseconds block{500};  ///< the follower's XREAD BLOCK
  std::string prefix = "model";         ///< field prefix inside the checkpoint (save_state)
};

/// What a publisher or follower did. Snapshot; any thread.
struct model_channel_counts {
  std::uint64_t published = 0;  ///< publisher: checkpoints written
  std::uint64_t loaded = 0;     ///< follower: versions loaded into the slot
  std::uint64_t rejected = 0;   ///< follower: checkpoints that failed to parse or load
  std::uint64_t skipped = 0;    ///< follower: entries not newer than the loaded version
  std::uint64_t version = 0;    ///< the last version published / loaded (0: none yet)
  connection_counts connection;
};

/// Writes checkpoints to the channel. Blocking, for the learner's thread; allocates.
class model_publisher {
 public:
  /// Throws std::invalid_argument naming the option (empty key, keep 0).
  explicit model_publisher(model_channel_options o);
  ~model_publisher();
  model_publisher(const model_publisher&) = delete;
  model_publisher& operator=(const model_publisher&) = delete;

  /// Appends (version, checkpoint) to the channel, reconnecting with backoff for up to
  /// `timeout`. True once the server confirmed it. Versions should increase: followers
  /// load only versions newer than the one they hold.
  bool publish(std::span<const std::byte> checkpoint, std::uint64_t version,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  /// Saves `model` with save_state under the channel's prefix and publishes it with
  /// the model's own version.
  template <class Model>
  bool publish_model(const Model& model, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    checkpoint_writer w;
    save_state(w, model, prefix());
    return publish(w.bytes(), static_cast<std::uint64_t>(model.version), timeout);
  }

  const std::string& prefix() const noexcept;
  model_channel_counts counts() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

namespace detail {
class follower_core;
struct follower_hooks {
  void* self = nullptr;
  // Parses and loads a checkpoint; false if it was refused.
  bool (*load)(void* self, std::span<const std::byte> data, std::uint64_t version) noexcept = nullptr;
};
}  // namespace detail

/// The untyped part of model_follower: the I/O thread and its connection.
class model_follower_base {
 public:
  model_follower_base(const model_follower_base&) = delete;
  model_follower_base& operator=(const model_follower_base&) = delete;
  ~model_follower_base();
  /// Joins the I/O thread (within about `block`). Idempotent.
  void stop();
  model_channel_counts counts() const noexcept;
  /// The version loaded last (0: none). Any thread.
  std::uint64_t version() const noexcept { return counts().version; }
  const model_channel_options& options() const noexcept;

 protected:
  explicit model_follower_base(model_channel_options o);
  void start_with(detail::follower_hooks h);

 private:
  std::unique_ptr<detail::follower_core> core_;
};

/// Follows the channel on an I/O thread: at start it loads the newest checkpoint, then
/// blocks (XREAD BLOCK) for newer ones; each newer version is parsed
/// (checkpoint_reader), restored with load_state into a copy of the model and
/// published to the slot, which the inference thread picks up between events
/// (rill::pick_up). A checkpoint that fails to parse or whose shape does not match is
/// counted `rejected` and the slot keeps its model. This thread is the slot's only
/// writer. Allocates on its own thread only.
template <class Model>
class model_follower : public model_follower_base {
 public:
  model_follower(model_slot<Model>& slot, model_channel_options o, const Model& initial = Model{})
      : model_follower_base(std::move(o)), slot_(&slot), model_(initial) {}
  ~model_follower() { stop(); }

  void start() { start_with(detail::follower_hooks{this, &load_thunk}); }

 private:
  static bool load_thunk(void* self, std::span<const std::byte> data, std::uint64_t version) noexcept {
    auto& f = *static_cast<model_follower*>(self);
    try {
      const auto reader = checkpoint_reader::parse(data, f.options().key + "@" + std::to_string(version));
      Model m = f.model_;
      load_state(reader, m, f.options().prefix);
      f.model_ = m;
      f.slot_->publish(m);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  model_slot<Model>* slot_;
  Model model_;  // the I/O thread's copy
};

}  // namespace redis
RILL_NAMESPACE_END
