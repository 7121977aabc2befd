#include "clipline_crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

/// The reflected Castagnoli polynomial (RFC 3720, appendix B.4).
static const uint32_t polynomial = 0x82F63B78u;
static uint32_t table[256];
static int hardware;
static pthread_once_t ready = PTHREAD_ONCE_INIT;

#if defined(__x86_64__)
/// Bytes per lane of the three-lane loop: the instruction takes three cycles and starts one a cycle, so three
/// independent CRCs run in the time of one; the lanes are then joined with `shift`.
enum { lane = 8192 };
/// shift_table[k][v]: what a CRC register whose byte k is v (the others 0) becomes after `lane` zero bytes.
static uint32_t shift_table[4][256];

/// The register `crc` after `lane` zero bytes: the CRC is linear, so byte by byte from the table.
static uint32_t shift(uint32_t crc) {
  return shift_table[0][crc & 0xFF] ^ shift_table[1][(crc >> 8) & 0xFF] ^ shift_table[2][(crc >> 16) & 0xFF]
    ^ shift_table[3][crc >> 24];
}

/// Each of the register's 32 bits through `lane` zero bytes on the instruction, then every byte value as the
/// exclusive or of its bits' results.
__attribute__((target("sse4.2"))) static void prepare_shift(void) {
  uint32_t bit_shifted[32];
  for (int bit = 0; bit < 32; bit++) {
    uint64_t crc = (uint64_t)1 << bit;
    for (int word = 0; word < lane / 8; word++) crc = _mm_crc32_u64(crc, 0);
    bit_shifted[bit] = (uint32_t)crc;
  }
  for (int k = 0; k < 4; k++) {
    for (uint32_t value = 0; value < 256; value++) {
      uint32_t shifted = 0;
      for (int bit = 0; bit < 8; bit++) {
        if (value & (1u << bit)) shifted ^= bit_shifted[8 * k + bit];
      }
      shift_table[k][value] = shifted;
    }
  }
}
#endif

static void prepare(void) {
  for (uint32_t byte = 0; byte < 256; byte++) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; bit++) crc = (crc & 1) ? (crc >> 1) ^ polynomial : crc >> 1;
    table[byte] = crc;
  }
#if defined(__x86_64__)
  unsigned int eax, ebx, ecx, edx;
  hardware = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_SSE4_2);
  if (hardware) prepare_shift();
#endif
}

static uint32_t by_table(uint32_t crc, const unsigned char *p, size_t n) {
  while (n--) crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
/// Eight bytes per instruction, three lanes at once over long runs; the bytes before the first aligned word and
/// after the last go one at a time.
__attribute__((target("sse4.2"))) static uint32_t by_instruction(uint32_t crc, const unsigned char *p, size_t n) {
  while (n > 0 && ((uintptr_t)p & 7) != 0) {
    crc = _mm_crc32_u8(crc, *p++);
    n--;
  }
  while (n >= 3 * lane) {
    uint64_t first = crc, second = 0, third = 0;
    for (size_t at = 0; at < lane; at += 8) {
      uint64_t words[3];
      memcpy(&words[0], p + at, 8);
      memcpy(&words[1], p + lane + at, 8);
      memcpy(&words[2], p + 2 * lane + at, 8);
      first = _mm_crc32_u64(first, words[0]);
      second = _mm_crc32_u64(second, words[1]);
      third = _mm_crc32_u64(third, words[2]);
    }
    // A register carried over `lane` more bytes is its shift by them, exclusive-or the CRC of them from zero.
    crc = shift(shift((uint32_t)first) ^ (uint32_t)second) ^ (uint32_t)third;
    p += 3 * lane;
    n -= 3 * lane;
  }
  uint64_t wide = crc;
  while (n >= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
    wide = _mm_crc32_u64(wide, word);
    p += 8;
    n -= 8;
  }
  crc = (uint32_t)wide;
  while (n-- > 0) crc = _mm_crc32_u8(crc, *p++);
  return crc;
}
#endif

uint32_t clipline_crc32c(uint32_t crc, const void *bytes, size_t length) {
  pthread_once(&ready, prepare);
  const unsigned char *p = bytes;
  crc = ~crc;
#if defined(__x86_64__)
  if (hardware) return ~by_instruction(crc, p, length);
#endif
  return ~by_table(crc, p, length);
}

uint32_t clipline_crc32c_by_table(uint32_t crc, const void *bytes, size_t length) {
  pthread_once(&ready, prepare);
  return ~by_table(~crc, bytes, length);
}

int clipline_crc32c_in_hardware(void) {
  pthread_once(&ready, prepare);
  return hardware;
}
