internal import CCliplineCRC32C
import Foundation

/// CRC-32C (Castagnoli), the part checksum S3 checks (`x-amz-checksum-crc32c`) at the speed of memory: the CPU's
/// `crc32` instruction (SSE4.2), against SHA-256's several cycles a byte. A checksum against damage on the way, not
/// a digest against tampering: what a record promises stays the object's SHA-256.
public enum CRC32C {
  /// The CRC-32C of `bytes` following bytes whose CRC-32C was `crc` (0: none before).
  public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    return clipline_crc32c(crc, base, bytes.count)
  }

  public static func checksum<Bytes: ContiguousBytes>(_ bytes: Bytes, continuing crc: UInt32 = 0) -> UInt32 {
    bytes.withUnsafeBytes { checksum($0, continuing: crc) }
  }

  /// The same CRC from the table every CPU can run (what a CPU without SSE4.2 gets), to check one against the other.
  public static func byTable(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    return clipline_crc32c_by_table(crc, base, bytes.count)
  }

  /// Whether `checksum` runs on the CPU's instruction.
  public static var inHardware: Bool { clipline_crc32c_in_hardware() != 0 }

  /// The four bytes S3 carries (base64) for a CRC: big-endian.
  public static func bytes(_ crc: UInt32) -> [UInt8] {
    [
      UInt8(crc >> 24), UInt8(truncatingIfNeeded: crc >> 16), UInt8(truncatingIfNeeded: crc >> 8),
      UInt8(truncatingIfNeeded: crc),
    ]
  }
}
