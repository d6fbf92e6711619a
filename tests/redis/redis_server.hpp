// A private redis-server for tests: a free loopback port, its own directory, AOF on,
// killed and removed at the end. Exits the test program with 77 (skipped) when
// redis-server is not installed.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "rill/core/event.hpp"
#include "rill/redis/connection.hpp"

extern char** environ;

namespace rill_test {

/// The pipeline stage the Redis test and benchmark run: a fixed linear score of four
/// features, model version 1, so each output can be checked against its input.
struct score {
  using input_type = rill::event<4>;
  using output_type = rill::prediction<float>;
  template <class Emit>
  void operator()(const input_type& in, Emit&& emit) noexcept {
    emit(output_type{in.id, in.time_ns, in.x[0] - in.x[1] + 2.0f * in.x[2] + in.x[3], 1});
  }
};

inline bool on_path(const std::string& exe) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string p(path);
  std::size_t start = 0;
  while (start <= p.size()) {
    const std::size_t end = std::min(p.find(':', start), p.size());
    const auto dir = p.substr(start, end - start);
    if (!dir.empty() && ::access((dir + "/" + exe).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

inline void require_redis_server() {
  if (!on_path("redis-server")) {
    std::printf("SKIPPED: redis-server is not on PATH (Debian: apt-get install redis-server)\n");
    std::exit(77);
  }
}

// A port the kernel just handed out (closed again: a small race, fine on a test box).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("free_port: no socket");
  const int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

class redis_server {
 public:
  /// `fsync_always`: appendfsync always (every write on disk before its reply).
  explicit redis_server(bool fsync_always = false) : fsync_always_(fsync_always) {
    require_redis_server();
    char tmpl[] = "/tmp/rill_redis_XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("redis_server: mkdtemp failed");
    dir_ = tmpl;
    port_ = free_port();
    start();
  }
  ~redis_server() {
    kill(SIGKILL);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  int port() const noexcept { return port_; }
  const std::string& dir() const noexcept { return dir_; }

  rill::redis::connection_options options() const {
    rill::redis::connection_options o;
    o.port = port_;
    o.backoff_initial = std::chrono::milliseconds(5);
    o.backoff_max = std::chrono::milliseconds(200);
    return o;
  }

  /// Starts the server (same port and directory as before) and waits for PING.
  void start() {
    const std::string port = std::to_string(port_);
    std::vector<std::string> args = {"redis-server", "--port", port, "--bind", "127.0.0.1",
                                     "--dir", dir_, "--save", "", "--appendonly", "yes",
                                     "--appendfsync", fsync_always_ ? "always" : "everysec",
                                     "--logfile", dir_ + "/redis.log", "--daemonize", "no"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("redis_server: posix_spawnp failed");
    rill::redis::connection c(options());
    for (int i = 0; i < 500; ++i) {
      if (c.try_connect()) {
        auto r = c.command({"PING"});
        if (r && r->str == "PONG") return;
        c.disconnect();  // LOADING: the AOF is still being read
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("redis_server: no PONG on port " + port + " (see " + dir_ + "/redis.log)");
  }

  /// Kills the server (SIGKILL: a crash) and reaps it.
  void kill(int sig = SIGKILL) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  bool fsync_always_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace rill_test
