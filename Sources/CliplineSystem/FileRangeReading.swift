import Foundation

extension FileDescriptorIO {
  /// Hands `each` the file's bytes from `offset` (`length` of them, or to its end) a block at a time, read with
  /// pread(2) into one buffer: no copy per block, the descriptor's position untouched, and the kernel told the read is
  /// sequential (larger readahead). Returns the number of bytes read.
  @discardableResult
  public static func readRange(
    _ descriptor: Int32, from offset: Int64 = 0, length: Int64? = nil, block: Int = 1 << 20,
    _ each: (UnsafeRawBufferPointer) throws -> Void
  ) throws -> Int64 {
    _ = posix_fadvise(descriptor, off_t(offset), off_t(length ?? 0), POSIX_FADV_SEQUENTIAL)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, block), alignment: 4096)
    defer { buffer.deallocate() }
    let end = length.map { offset + $0 } ?? Int64.max
    var position = offset
    while position < end {
      let want = Int(min(Int64(buffer.count), end - position))
      let read = try retryingInterrupts("pread") { pread(descriptor, buffer.baseAddress, want, off_t(position)) }
      if read == 0 { break }
      try each(UnsafeRawBufferPointer(rebasing: buffer[..<read]))
      position += Int64(read)
    }
    return position - offset
  }
}
