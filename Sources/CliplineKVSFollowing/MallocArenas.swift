import Foundation

/// glibc's malloc gives each thread that allocates while another holds the lock an arena of its own (up to eight per
/// core), and an arena keeps what was freed in it. A follower runs a thread per camera and its uploads' threads:
/// with many cameras, arenas full of freed window bytes were most of its memory. Two serve its rates as fast.
public enum MallocArenas {
  /// At most `count` arenas from now on (glibc's mallopt(M_ARENA_MAX); nothing elsewhere). Swift does not see
  /// <malloc.h>, so the function is looked up by name.
  public static func limit(to count: Int32) {
    #if os(Linux)
      let arenaMaximum: Int32 = -8  // M_ARENA_MAX
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
      typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
      _ = unsafeBitCast(symbol, to: MallOpt.self)(arenaMaximum, count)
    #endif
  }
}
