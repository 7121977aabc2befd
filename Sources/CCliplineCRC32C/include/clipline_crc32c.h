#ifndef CLIPLINE_CRC32C_H
#define CLIPLINE_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli, as iSCSI and S3's x-amz-checksum-crc32c use it) of `length` bytes, continuing `crc`, the
/// CRC-32C of the bytes before them (0 for none): crc32c(crc32c(0, a), b) is the CRC-32C of a then b. The SSE4.2
/// `crc32` instruction where the CPU has it, a table otherwise.
uint32_t clipline_crc32c(uint32_t crc, const void *bytes, size_t length);

/// The same, always from the table (to test one way against the other).
uint32_t clipline_crc32c_by_table(uint32_t crc, const void *bytes, size_t length);

/// Whether clipline_crc32c runs on the CPU's instruction (1) or the table (0).
int clipline_crc32c_in_hardware(void);

#endif
