// Line-oriented configuration text of the built-in NFs (firewall rules, lpm_router tables,
// payload_scan patterns): line numbers for error messages ("line N: ..."), '#' comments, words.
// Header only, no DPDK: the logic classes and their tests (nfs-test/) include it.
#pragma once
#include <sstream>
#include <string>
#include <vector>

namespace rvnf {

class ConfigLines {
 public:
  explicit ConfigLines(const std::string& text) : in_(text) {}

  // The next line into *line (false at the end of the text).
  bool next(std::string* line) {
    if (!std::getline(in_, *line)) return false;
    ln_++;
    return true;
  }

  // Sets *err (when given) to "line N: <m>" for the line last read; returns false.
  bool fail(std::string* err, const std::string& m) const {
    if (err) *err = "line " + std::to_string(ln_) + ": " + m;
    return false;
  }

  // `line` without its comment ('#' to the end).
  static std::string uncomment(const std::string& line) {
    size_t hash = line.find('#');
    return hash == std::string::npos ? line : line.substr(0, hash);
  }

  // The white-space separated words of `text`.
  static std::vector<std::string> words(const std::string& text) {
    std::istringstream ws(text);
    std::vector<std::string> t;
    for (std::string w; ws >> w;) t.push_back(w);
    return t;
  }

 private:
  std::istringstream in_;
  int ln_ = 0;
};

}  // namespace rvnf
