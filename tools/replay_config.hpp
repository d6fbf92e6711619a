// `rill replay --config FILE.json`: the same settings as the flags, from a file.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rill::tools {

/// Reads a JSON object whose keys are `rill replay` flags without the dashes, e.g.
/// {"input": "data/elec2.csv", "features": ["raw", "mean:48"], "learner": "adam",
///  "scale": true, "detector": "adwin", "param": ["delta=0.002"]}
/// and returns the equivalent flags with their values (`--input` `data/elec2.csv`, ...;
/// no value for a bare flag). A list means
/// the flag repeated, except for `features`, whose items are joined with commas; true
/// means a bare flag and false leaves it out. Throws usage_error naming the file and
/// the key for anything else.
using config_flag = std::pair<std::string, std::optional<std::string>>;
std::vector<config_flag> config_arguments(const std::string& path);

/// argv with `--config FILE` (or `--config=FILE`) replaced by the file's flags, except
/// those the command line also gives: the command line overrides the file.
std::vector<std::string> expand_config(int argc, char** argv);

}  // namespace rill::tools
