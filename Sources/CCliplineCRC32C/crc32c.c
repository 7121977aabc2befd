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

static void prepare(void) {
  for (uint32_t byte = 0; byte < 256; byte++) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; bit++) crc = (crc & 1) ? (crc >> 1) ^ polynomial : crc >> 1;
    table[byte] = crc;
  }
#if defined(__x86_64__)
  unsigned int eax, ebx, ecx, edx;
  hardware = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_SSE4_2);
#endif
}

static uint32_t by_table(uint32_t crc, const unsigned char *p, size_t n) {
  while (n--) crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
/// Eight bytes per instruction; the bytes before the first aligned word and after the last go one at a time.
__attribute__((target("sse4.2"))) static uint32_t by_instruction(uint32_t crc, const unsigned char *p, size_t n) {
  while (n > 0 && ((uintptr_t)p & 7) != 0) {
    crc = _mm_crc32_u8(crc, *p++);
    n--;
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
