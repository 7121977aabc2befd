import Foundation

extension FileDescriptorIO {
  /// Hands `each` the bytes of `range` of a file the caller wrote and owns, a window at a time, mapped from the page
  /// cache rather than copied out of it: a pass that only reads (a hash) costs no copy and no read(2) per block. A
  /// window is unmapped before the next is mapped, so at most `window` bytes of the file count in the process's
  /// memory. Only for a file nobody else shortens while it is read: a mapped page past its end is SIGBUS, not an error.
  public static func mapRange(
    _ descriptor: Int32, _ range: Range<Int64>, window: Int = 8 << 20, _ each: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    let page = Int64(sysconf(Int32(_SC_PAGESIZE)))
    let span = max(page, Int64(window) / page * page)
    var position = range.lowerBound
    while position < range.upperBound {
      let start = position / page * page
      let end = min(range.upperBound, start + span)
      let length = Int(end - start)
      let mapped = mmap(nil, length, PROT_READ, MAP_SHARED | MAP_POPULATE, descriptor, off_t(start))
      guard let mapped, mapped != MAP_FAILED else { throw SystemCallError(call: "mmap", code: errno) }
      defer { munmap(mapped, length) }
      let skip = Int(position - start)
      try each(UnsafeRawBufferPointer(start: mapped + skip, count: length - skip))
      position = end
    }
  }
}
