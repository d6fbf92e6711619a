// Links the installed optional components: starts the live view on a free loopback
// port and stops it; with rill::redis, fails to connect to a closed port, quietly.
#include <cstdio>

#ifdef RILL_HAVE_HTTP
#include <rill/http/live_server.hpp>
#endif
#ifdef RILL_HAVE_REDIS
#include <rill/redis/connection.hpp>
#endif

int main() {
#ifdef RILL_HAVE_HTTP
  rill::live_server server;
  server.start();
  const bool ok = server.port() != 0;
  std::printf("rill::http served at %s\n", server.url().c_str());
  server.stop();
  if (!ok) return 1;
#endif
#ifdef RILL_HAVE_REDIS
  // Nothing listens on port 1: the connection attempt fails and is counted, no throw.
  rill::redis::connection c({.host = "127.0.0.1", .port = 1});
  const bool connected = c.try_connect();
  std::printf("rill::redis linked; connect to :1 %s\n", connected ? "succeeded?" : "refused");
  if (connected) return 1;
#endif
  return 0;
}
