// Crash safety of checkpoint_writer::save_atomic: a child process saves checkpoints in
// a loop and is killed with SIGKILL at a random moment, 100 times. After every kill the
// checkpoint on disk must load and be complete: the last save the child reported, or
// the one it was making when it died; never a mix, never corrupt.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "rill/io/checkpoint.hpp"

namespace {

// Checkpoint `seq` is self-describing: its size alternates (a small and a large
// file) and every weight is derived from seq, so any mix of two saves is detectable.
std::size_t weights_for(std::uint64_t seq) { return seq % 2 ? 60000 : 300; }
double weight(std::uint64_t seq, std::size_t i) { return double(seq) * 1e-3 + double(i) * 0.5; }
std::string tag_for(std::uint64_t seq) { return "checkpoint number " + std::to_string(seq); }

// The child: continue from the checkpoint on disk (as a restarted process would),
// then save seq + 1, seq + 2, ... forever, reporting each completed save on `report`.
[[noreturn]] void saver(const std::filesystem::path& path, int report) {
  try {
    std::uint64_t seq = 0;
    if (std::filesystem::exists(path)) seq = rill::checkpoint_reader::load(path).get<std::uint64_t>("seq");
    std::vector<double> w;
    for (;;) {
      ++seq;
      w.resize(weights_for(seq));
      for (std::size_t i = 0; i < w.size(); ++i) w[i] = weight(seq, i);
      rill::checkpoint_writer ck;
      ck.add("seq", seq);
      ck.add("weights", w);
      ck.add_string("tag", tag_for(seq));
      ck.save_atomic(path);
      if (::write(report, &seq, sizeof seq) != sizeof seq) ::_exit(5);
    }
  } catch (...) {
    ::_exit(4);  // the parent sees an exit instead of its SIGKILL and fails
  }
}

}  // namespace

TEST_CASE("checkpoint: SIGKILL at random points never leaves a corrupt checkpoint",
          "[checkpoint][crash]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("rill_checkpoint_crash_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  struct cleanup {  // also when a REQUIRE fails
    std::filesystem::path p;
    ~cleanup() { std::filesystem::remove_all(p); }
  } guard{dir};
  const auto path = dir / "state.ckpt";

  std::mt19937_64 rng(20240611);
  // The newest checkpoint known to be complete: reported by a child, or found on disk
  // after a kill (a save whose child died between rename and report).
  std::uint64_t newest = 0;
  std::uint64_t reports = 0;
  int rounds_absent = 0, rounds_in_flight = 0, rounds_with_temp = 0;
  for (int round = 0; round < 100; ++round) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      saver(path, fds[1]);
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20001));
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    INFO("round " << round << ", status " << status);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    std::uint64_t seq = 0;
    while (::read(fds[0], &seq, sizeof seq) == sizeof seq) {
      newest = std::max(newest, seq);
      ++reports;
    }
    ::close(fds[0]);

    // Killed inside save_atomic before its rename: its temporary file stays behind.
    auto temp = path;
    temp += ".tmp." + std::to_string(pid);
    rounds_with_temp += std::filesystem::exists(temp);
    if (!std::filesystem::exists(path)) {
      REQUIRE(newest == 0);  // absent only before the first save completed
      ++rounds_absent;
      continue;
    }
    // Must load (checksum, structure) and be one whole checkpoint.
    const auto r = rill::checkpoint_reader::load(path);
    const auto s = r.get<std::uint64_t>("seq");
    INFO("loaded seq " << s << ", newest complete before " << newest);
    REQUIRE((s == newest || s == newest + 1));  // the previous one or the one in flight
    rounds_in_flight += s == newest + 1;
    const auto w = r.get_vector<double>("weights");
    REQUIRE(w.size() == weights_for(s));
    bool exact = true;
    for (std::size_t i = 0; i < w.size(); ++i) exact = exact && w[i] == weight(s, i);
    REQUIRE(exact);
    REQUIRE(r.get_string("tag") == tag_for(s));
    newest = s;
  }
  WARN("100 kills: checkpoint " << newest << " reached, " << reports << " saves reported, file absent after " << rounds_absent
                     << " kills, a rename but no report after " << rounds_in_flight
                     << ", a temporary file left after " << rounds_with_temp);
  // The test means something only if the children got to save.
  CHECK(newest >= 10);
  // Stray temporaries are the caller's to remove; load never looks at them.
  rill::remove_checkpoint_temps(path);
  CHECK(std::distance(std::filesystem::directory_iterator(dir),
                      std::filesystem::directory_iterator()) == 1);
}
