import Foundation

/// glibc's malloc, set for a process whose threads each allocate and free buffers of megabytes over and over: kvs-follow
/// (a thread per camera, and its uploads') and chunk (the source's fetchers, each destination's part senders).
public enum MallocTuning {
  /// - At most two arenas: glibc otherwise gives each thread that allocates while another holds the lock an arena of
  ///   its own (up to eight per core), and an arena keeps what was freed in it.
  /// - Blocks of 256 KiB and more mapped and unmapped on their own: glibc otherwise raises that threshold to the
  ///   largest block freed so far (up to 32 MiB), after which buffers of a window's size stay in the heap.
  /// 20 cameras, 10 s windows, 40 s: peak RSS 196 MB with two arenas, 161 MB with both; chunk --to of a 154 MB 1080p
  /// source from S3 to two S3 destinations, three 30 s chunks: anonymous memory 77 MB -> 52 MB (bench/README.md).
  /// mallopt is looked up by name: Swift does not see <malloc.h>.
  public static func forManyStreams() {
    #if os(Linux)
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
      typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
      let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
      _ = mallopt(-8, 2)  // M_ARENA_MAX
      _ = mallopt(-3, 256 << 10)  // M_MMAP_THRESHOLD
    #endif
  }
}
