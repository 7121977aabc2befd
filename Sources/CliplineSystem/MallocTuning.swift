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
  /// `mappingFrom` moves that threshold: kvs-follow keeps blocks under 1 MiB in the heap, where a freed one serves
  /// the next fragment, because libavformat builds each fragment's media (~400 KB a second of 720p) in a buffer it
  /// grows and frees every second: mapped, each fragment's pages were faulted in and zeroed again (7 % of its CPU).
  /// mallopt is looked up by name: Swift does not see <malloc.h>.
  public static func forManyStreams(mappingFrom threshold: Int32 = 256 << 10) {
    #if os(Linux)
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
      typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
      let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
      _ = mallopt(-8, 2)  // M_ARENA_MAX
      _ = mallopt(-3, threshold)  // M_MMAP_THRESHOLD
    #endif
  }
}
