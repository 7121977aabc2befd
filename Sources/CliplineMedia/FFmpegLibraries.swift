internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineSystem
import Foundation

/// FFmpeg's libraries, loaded when a tool first opens media instead of by the dynamic linker at every start:
/// one binary holds every tool, and loading FFmpeg's ~180 shared libraries costs ~40 ms that kvs-discover, amqp-pub
/// or record-shape would pay for nothing. The shims declare every function Swift calls weak and link nothing;
/// dlopen with RTLD_GLOBAL makes them resolvable, and lazy binding resolves each at its first call. Every handle
/// owner's open function calls `load()` first, so no FFmpeg call can come before it.
public enum FFmpegLibraries {
  /// The sonames of the libraries the headers were built against (the ABI is the major version).
  static let sonames = [
    "libavutil.so.\(LIBAVUTIL_VERSION_MAJOR)", "libswscale.so.\(LIBSWSCALE_VERSION_MAJOR)",
    "libavcodec.so.\(LIBAVCODEC_VERSION_MAJOR)", "libavformat.so.\(LIBAVFORMAT_VERSION_MAJOR)",
  ]
  /// libavfilter brings some thirty libraries of its own (speech synthesis voices, SVG, Vulkan, …: about 11 MB of a
  /// process's RSS), so it is loaded only where a filter graph is made, not by a tool that only copies streams.
  static let filterSonames = ["libavfilter.so.\(LIBAVFILTER_VERSION_MAJOR)"]

  private static let loaded: Result<Void, any Error> = Result { try open(sonames) }
  private static let filtersLoaded: Result<Void, any Error> = Result {
    try load()
    try open(filterSonames)
  }

  /// Loads them the first time; afterwards returns at once, or throws the same error again.
  public static func load() throws { try loaded.get() }

  /// `load()`, and libavfilter: what a filter graph's owner calls first.
  static func loadFilters() throws { try filtersLoaded.get() }

  private static func open(_ sonames: [String]) throws {
    // With every symbol bound at start, the weak references are bound to nothing for good.
    if let bindNow = ProcessInfo.processInfo.environment["LD_BIND_NOW"], !bindNow.isEmpty {
      throw FFmpegUnavailable(
        "LD_BIND_NOW is set, and FFmpeg's libraries are loaded when a tool first needs them, which needs lazy "
          + "binding: unset LD_BIND_NOW")
    }
    for soname in sonames where dlopen(soname, RTLD_NOW | RTLD_GLOBAL) == nil {
      let reason = dlerror().map { String(cString: $0) } ?? "not found"
      // The loader could not map a library: out of address space (ulimit -v), not a broken installation.
      if reason.contains("failed to map segment") || reason.contains("Cannot allocate memory") {
        throw ResourceShortage.memory(bytes: nil)
      }
      throw FFmpegUnavailable("FFmpeg's \(soname) cannot be loaded (\(reason)); install FFmpeg's libraries")
    }
  }
}

/// FFmpeg's libraries are missing or cannot be loaded: a broken installation (78).
public struct FFmpegUnavailable: Error, CustomStringConvertible, ExitStatusProviding {
  public let description: String
  init(_ description: String) { self.description = description }
  public var exitStatus: ExitStatus { .configuration }
}
