// Payload scan NF logic: multi-pattern string matching (Aho-Corasick compiled to a dense DFA) over
// the L4 payload of TCP/UDP/ICMP-echo frames (or the whole frame). A match either drops the frame
// or raises an alert (the frame passes); per-pattern hit counters.
//
// Patterns file (one per line, '#' comments outside quotes):
//   action drop|alert               (default drop)
//   scope payload|frame             (default payload)
//   nocase on|off                   (default off)
//   pattern <name> "text with \x00 escapes"  |  pattern <name> hex:0a0b0c
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rvnf {

struct ScanPattern { std::string name; std::string bytes; };

struct ScanConfig {
  std::vector<ScanPattern> patterns;
  bool drop = true;
  bool whole_frame = false;
  bool nocase = false;
};

bool scan_parse(const std::string& text, ScanConfig* cfg, std::string* err);

struct ScanStats { uint64_t scanned = 0, matched = 0, dropped = 0, alerts = 0, bytes = 0; };

class PayloadScan {
 public:
  bool init(const ScanConfig& cfg, std::string* err);
  // Index of the first pattern found in data (earliest end position), or -1.
  int32_t find(const uint8_t* data, uint32_t len) const;
  // pass[i] = 0 when a match drops the frame; match_out (nullable) = pattern index or -1.
  void process(uint8_t* const* frames, const uint32_t* lens, uint16_t n, uint8_t* pass, int32_t* match_out);
  uint32_t states() const { return uint32_t(out_.size()); }
  const std::vector<uint64_t>& hits() const { return hits_; }
  const ScanStats& stats() const { return stats_; }
  const ScanConfig& config() const { return cfg_; }

 private:
  ScanConfig cfg_;
  std::vector<uint32_t> delta_;   // state * 256 + byte → next state (complete DFA)
  std::vector<int32_t> out_;      // state → pattern index matched at this state (or via suffix), -1
  uint8_t fold_[256];
  std::vector<uint64_t> hits_;
  ScanStats stats_;
};

}  // namespace rvnf
