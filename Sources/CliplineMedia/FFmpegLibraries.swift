internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineSystem
import Foundation

/// FFmpeg's libraries, loaded when a tool first opens media instead of by the dynamic linker at every start
/// (`SharedLibraries`): loading FFmpeg's ~180 shared libraries costs ~40 ms that kvs-discover, amqp-pub or
/// record-shape would pay for nothing. Every handle owner's open function calls `load()` first, so no FFmpeg call
/// can come before it.
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
    try SharedLibraries.open(sonames, of: "FFmpeg", install: "FFmpeg's libraries")
  }
}
