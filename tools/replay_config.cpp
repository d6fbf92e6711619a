#include "replay_config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "../src/detail/json_reader.hpp"
#include "cli.hpp"

namespace rill::tools {

std::vector<config_flag> config_arguments(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw usage_error("--config " + path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  namespace json = rill::detail::json;
  std::vector<config_flag> args;
  try {
    const json::document doc(text.str(), path, 16);
    const auto& root = doc.expect(doc.root(), json::kind::object, "$");
    auto scalar = [&](const json::value& v, const std::string& where) -> std::string {
      if (v.type == json::kind::string) return v.str;
      if (v.type == json::kind::number) return std::string(v.text);
      doc.fail(v, where, "expected a string or a number, got " + std::string(json::kind_name(v.type)));
    };
    for (const auto& [key, v] : root.members) {
      const std::string flag = "--" + key, where = "$." + key;
      if (key == "config") doc.fail(v, where, "a config file cannot name another");
      if (v.type == json::kind::boolean) {
        if (v.boolean) args.push_back({flag, std::nullopt});
      } else if (v.type == json::kind::array) {
        std::string joined;
        for (std::size_t i = 0; i < v.items.size(); ++i) {
          const std::string item = scalar(v.items[i], where + "[" + std::to_string(i) + "]");
          if (key == "features") {
            joined += (joined.empty() ? "" : ",") + item;
          } else {
            args.push_back({flag, item});
          }
        }
        if (key == "features") args.push_back({flag, joined});
      } else {
        args.push_back({flag, scalar(v, where)});
      }
    }
  } catch (const json::error& e) {
    throw usage_error(std::string("--config ") + e.what());
  }
  return args;
}

std::vector<std::string> expand_config(int argc, char** argv) {
  std::vector<std::string> out{argc > 0 ? argv[0] : "replay"}, rest;
  std::vector<std::string> given;  // flags on the command line
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0) given.push_back(arg.substr(0, arg.find('=')));
  }
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" || arg.rfind("--config=", 0) == 0) {
      std::string path;
      if (arg == "--config") {
        if (i + 1 >= argc) throw usage_error("--config needs a value (FILE.json)");
        path = argv[++i];
      } else {
        path = arg.substr(9);
      }
      for (const auto& [flag, value] : config_arguments(path)) {
        if (std::find(given.begin(), given.end(), flag) != given.end()) continue;
        out.push_back(flag);
        if (value) out.push_back(*value);
      }
    } else {
      rest.push_back(arg);
    }
  }
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace rill::tools
