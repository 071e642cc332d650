// Payload scan NF logic (see payload_scan.h).
#include "payload_scan.h"

#include <cctype>
#include <deque>
#include <sstream>

#include "../nf_config.h"
#include "../nf_pkt.h"

namespace rvnf {
namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses `"..."` (with \\, \", \xHH, \n, \r, \t escapes) or `hex:...` starting at s[i].
bool parse_bytes(const std::string& s, size_t i, std::string* out, std::string* err) {
  while (i < s.size() && isspace(static_cast<unsigned char>(s[i]))) i++;
  if (s.compare(i, 4, "hex:") == 0) {
    i += 4;
    std::string h;
    while (i < s.size() && !isspace(static_cast<unsigned char>(s[i])) && s[i] != '#') h += s[i++];
    if (h.empty() || h.size() % 2) { *err = "hex pattern needs an even number of digits"; return false; }
    for (size_t k = 0; k < h.size(); k += 2) {
      int a = hexval(h[k]), b = hexval(h[k + 1]);
      if (a < 0 || b < 0) { *err = "bad hex digit"; return false; }
      *out += char(a * 16 + b);
    }
    return true;
  }
  if (i >= s.size() || s[i] != '"') { *err = "pattern must be \"text\" or hex:..."; return false; }
  i++;
  for (; i < s.size(); i++) {
    char c = s[i];
    if (c == '"') return true;
    if (c != '\\') { *out += c; continue; }
    if (++i >= s.size()) break;
    char e = s[i];
    if (e == 'x' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      *out += char(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else if (e == 'n') *out += '\n';
    else if (e == 'r') *out += '\r';
    else if (e == 't') *out += '\t';
    else if (e == '\\' || e == '"') *out += e;
    else { *err = std::string("unknown escape \\") + e; return false; }
  }
  *err = "unterminated string";
  return false;
}

}  // namespace

bool scan_parse(const std::string& text, ScanConfig* cfg, std::string* err) {
  ConfigLines lines(text);
  auto fail = [&](const std::string& m) { return lines.fail(err, m); };
  for (std::string line; lines.next(&line);) {
    std::istringstream ws(line);
    std::string kw;
    if (!(ws >> kw) || kw[0] == '#') continue;
    if (kw == "action" || kw == "scope" || kw == "nocase") {
      std::string v;
      ws >> v;
      if (kw == "action" && (v == "drop" || v == "alert")) cfg->drop = v == "drop";
      else if (kw == "scope" && (v == "payload" || v == "frame")) cfg->whole_frame = v == "frame";
      else if (kw == "nocase" && (v == "on" || v == "off")) cfg->nocase = v == "on";
      else return fail("bad value for " + kw);
      continue;
    }
    if (kw != "pattern") return fail("unknown keyword " + kw);
    std::string name;
    if (!(ws >> name)) return fail("pattern needs a name");
    std::string rest;
    std::getline(ws, rest);
    ScanPattern p{name, ""};
    std::string e;
    if (!parse_bytes(rest, 0, &p.bytes, &e)) return fail(e);
    if (p.bytes.empty()) return fail("empty pattern");
    if (p.bytes.size() > 1024) return fail("pattern longer than 1024 bytes");
    cfg->patterns.push_back(p);
  }
  if (cfg->patterns.empty()) { *err = "no pattern"; return false; }
  return true;
}

bool PayloadScan::init(const ScanConfig& cfg, std::string* err) {
  cfg_ = cfg;
  for (int c = 0; c < 256; c++) fold_[c] = uint8_t(cfg.nocase ? tolower(c) : c);
  size_t total = 1;
  for (const auto& p : cfg.patterns) total += p.bytes.size();
  if (total > (1u << 18)) { *err = "patterns too large (> 262144 bytes in total)"; return false; }
  // trie
  std::vector<std::vector<int32_t>> go(1, std::vector<int32_t>(256, -1));
  std::vector<int32_t> out(1, -1);
  for (size_t pi = 0; pi < cfg.patterns.size(); pi++) {
    int32_t s = 0;
    for (unsigned char ch : cfg.patterns[pi].bytes) {
      uint8_t c = fold_[ch];
      if (go[size_t(s)][c] < 0) {
        go[size_t(s)][c] = int32_t(go.size());
        go.emplace_back(256, -1);
        out.push_back(-1);
      }
      s = go[size_t(s)][c];
    }
    if (out[size_t(s)] < 0) out[size_t(s)] = int32_t(pi);
  }
  // failure links by BFS; complete the transition function (DFA)
  std::vector<int32_t> fail(go.size(), 0);
  std::deque<int32_t> q;
  for (int c = 0; c < 256; c++) {
    if (go[0][size_t(c)] < 0) go[0][size_t(c)] = 0;
    else { fail[size_t(go[0][size_t(c)])] = 0; q.push_back(go[0][size_t(c)]); }
  }
  while (!q.empty()) {
    int32_t s = q.front();
    q.pop_front();
    if (out[size_t(s)] < 0) out[size_t(s)] = out[size_t(fail[size_t(s)])];  // a suffix is a pattern
    for (int c = 0; c < 256; c++) {
      int32_t t = go[size_t(s)][size_t(c)];
      if (t < 0) {
        go[size_t(s)][size_t(c)] = go[size_t(fail[size_t(s)])][size_t(c)];
      } else {
        fail[size_t(t)] = go[size_t(fail[size_t(s)])][size_t(c)];
        q.push_back(t);
      }
    }
  }
  delta_.resize(go.size() * 256);
  for (size_t s = 0; s < go.size(); s++)
    for (int c = 0; c < 256; c++) delta_[s * 256 + size_t(c)] = uint32_t(go[s][size_t(c)]);
  out_ = out;
  hits_.assign(cfg.patterns.size(), 0);
  return true;
}

int32_t PayloadScan::find(const uint8_t* data, uint32_t len) const {
  uint32_t s = 0;
  const uint32_t* d = delta_.data();
  const int32_t* o = out_.data();
  for (uint32_t i = 0; i < len; i++) {
    s = d[size_t(s) * 256 + fold_[data[i]]];
    if (o[s] >= 0) return o[s];
  }
  return -1;
}

void PayloadScan::process(uint8_t* const* frames, const uint32_t* lens, uint16_t n, uint8_t* pass, int32_t* match_out) {
  for (uint16_t i = 0; i < n; i++) {
    pass[i] = 1;
    if (match_out) match_out[i] = -1;
    const uint8_t* start = frames[i];
    uint32_t len = lens[i];
    if (!cfg_.whole_frame) {
      Pkt p;
      if (!parse(frames[i], lens[i], &p) || p.payload == 0) continue;
      start += p.payload;
      len -= p.payload;
    }
    stats_.scanned++;
    stats_.bytes += len;
    int32_t m = find(start, len);
    if (m < 0) continue;
    stats_.matched++;
    hits_[size_t(m)]++;
    if (match_out) match_out[i] = m;
    if (cfg_.drop) { pass[i] = 0; stats_.dropped++; }
    else stats_.alerts++;
  }
}

}  // namespace rvnf
