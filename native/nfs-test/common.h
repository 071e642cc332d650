// Small helpers shared by the native test programs (pcap I/O, argument parsing, JSON output).
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <rte_ether.h>

namespace rvt {

using Frame = std::vector<uint8_t>;

// Classic pcap (LINKTYPE_ETHERNET), microsecond timestamps.
inline bool read_pcap(const std::string& path, std::vector<Frame>* out) {
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) return false;
  uint8_t gh[24];
  if (fread(gh, 1, 24, f) != 24) { fclose(f); return false; }
  uint32_t magic;
  memcpy(&magic, gh, 4);
  bool swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
  if (!swap && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) { fclose(f); return false; }
  auto u32 = [swap](const uint8_t* p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
  };
  uint8_t rh[16];
  while (fread(rh, 1, 16, f) == 16) {
    uint32_t incl = u32(rh + 8);
    if (incl > 262144) { fclose(f); return false; }
    Frame fr(incl);
    if (incl && fread(fr.data(), 1, incl, f) != incl) { fclose(f); return false; }
    out->push_back(std::move(fr));
  }
  fclose(f);
  return true;
}

inline bool write_pcap(const std::string& path, const std::vector<Frame>& frames) {
  FILE* f = fopen(path.c_str(), "wb");
  if (!f) return false;
  uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 262144, 1};
  fwrite(gh, 4, 6, f);
  uint32_t t = 1;
  for (const auto& fr : frames) {
    uint32_t rh[4] = {t++, 0, uint32_t(fr.size()), uint32_t(fr.size())};
    fwrite(rh, 4, 4, f);
    fwrite(fr.data(), 1, fr.size(), f);
  }
  return fclose(f) == 0;
}

inline bool parse_mac(const char* s, rte_ether_addr* mac) {
  unsigned b[6];
  if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) return false;
  for (int i = 0; i < 6; i++) {
    if (b[i] > 255) return false;
    mac->addr_bytes[i] = uint8_t(b[i]);
  }
  return true;
}

// Dotted quad → network byte order.
inline bool parse_ip(const char* s, uint32_t* be) {
  unsigned a, b, c, d;
  char extra;
  if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4) return false;
  if (a > 255 || b > 255 || c > 255 || d > 255) return false;
  uint8_t bytes[4] = {uint8_t(a), uint8_t(b), uint8_t(c), uint8_t(d)};
  memcpy(be, bytes, 4);
  return true;
}

[[noreturn]] inline void die(const char* msg, const char* arg = "") {
  fprintf(stderr, "error: %s%s\n", msg, arg);
  exit(2);
}

}  // namespace rvt
