// `rill drift`: runs one drift detector over a stream of numbers (one per line)
// and prints where it drifts and where its warning zone begins.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "rill/drift/registry.hpp"

// Declared in commands.hpp once the command is wired into `rill`.
int rill_cmd_drift(int argc, char** argv);

namespace {

using rill::tools::usage_error;

std::string detector_list() {
  std::string s;
  for (auto n : rill::detector_names) {
    if (!s.empty()) s += ',';
    s += n;
  }
  return s;
}

// Trims blanks; returns false for an empty line.
bool trim(std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return false;
  const auto e = s.find_last_not_of(" \t\r\n");
  s = s.substr(b, e - b + 1);
  return true;
}

int run(int argc, char** argv) {
  rill::tools::cli cli("drift", "run a drift detector over numbers, one per line");
  cli.option("--detector", "{" + detector_list() + "}", "the detector (required)")
      .option("--param", "KEY=VALUE",
              "a parameter by River's name (repeatable); unknown names are errors", true)
      .option("--input", "FILE", "read the stream from FILE (default: stdin)")
      .flag("--warning-zones",
            "print every start of a warning zone (default: as River's examples, the first "
            "warning after the start and after each drift)");
  if (!cli.parse(argc, argv)) return 0;
  const auto name = cli.get("--detector");
  if (!name) throw usage_error("--detector is required (one of " + detector_list() + ")");

  const std::vector<std::string> params = cli.get_all("--param");
  rill::any_detector detector = [&] {
    try {
      return rill::make_detector(*name, params);
    } catch (const std::invalid_argument& e) {
      throw usage_error(e.what());
    }
  }();

  const std::string path = cli.get_or("--input", "");
  std::FILE* in = stdin;
  if (!path.empty() && path != "-") {
    in = std::fopen(path.c_str(), "r");
    if (!in) throw usage_error("cannot open --input " + path + ": " + std::strerror(errno));
  }
  const std::string shown = path.empty() || path == "-" ? "<stdin>" : path;
  const bool every_zone = cli.has("--warning-zones");

  std::string line;
  char buf[4096];
  std::uint64_t index = 0, line_no = 0;
  bool print_warning = true, was_warning = false;
  bool reading = true;
  while (reading) {
    line.clear();
    // Read one whole line, however long.
    for (;;) {
      if (!std::fgets(buf, sizeof buf, in)) {
        reading = false;
        break;
      }
      line += buf;
      if (!line.empty() && line.back() == '\n') break;
    }
    if (!reading && line.empty()) break;
    ++line_no;
    if (!trim(line)) continue;
    errno = 0;
    char* end = nullptr;
    const double x = std::strtod(line.c_str(), &end);
    if (end != line.c_str() + line.size() || errno == ERANGE) {
      if (in != stdin) std::fclose(in);
      throw std::runtime_error(shown + ":" + std::to_string(line_no) + ": not a number: '" + line +
                               "'");
    }
    detector.update(x);
    if (!std::isfinite(x)) {  // not taken in (counted by the detector); its flags are stale
      ++index;
      continue;
    }
    const bool warning = detector.warning_detected();
    if (warning && (every_zone ? !was_warning : print_warning)) {
      std::printf("warning %llu\n", static_cast<unsigned long long>(index));
      print_warning = false;
    }
    was_warning = warning;
    if (detector.drift_detected()) {
      std::printf("drift %llu\n", static_cast<unsigned long long>(index));
      print_warning = true;
      was_warning = false;
    }
    ++index;
  }
  const bool read_error = std::ferror(in) != 0;
  if (in != stdin) std::fclose(in);
  if (read_error) throw std::runtime_error(shown + ": read error");
  if (const auto n = detector.non_finite())
    std::fprintf(stderr, "rill drift: %llu non-finite values (nan, inf) were not taken in\n",
                 static_cast<unsigned long long>(n));
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int rill_cmd_drift(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "rill drift: %s\n(see rill drift --help)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rill drift: error: %s\n", e.what());
    return 2;
  }
}
