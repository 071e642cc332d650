// Shared declarations of nf_logic_test's per-NF test files.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

using Frame = std::vector<uint8_t>;
void check(const char* name, bool ok, const std::string& detail = "");
Frame make_frame(uint8_t proto, const char* src, uint16_t sport, const char* dst, uint16_t dport,
                 const std::string& payload = "");
bool checksums_ok(const Frame& f);

void test_firewall();
void test_nat();
void test_lb();
void test_lpm();
void test_scan();
