internal import CCliplineHiredis
import CliplineSystem

/// hiredis, loaded the first time a tool connects to Redis instead of by the dynamic linker at every start
/// (`SharedLibraries`).
public enum HiredisLibrary {
  /// hiredis 0.x names its soname by major and minor version (HIREDIS_SONAME: 0.14).
  static let soname = "libhiredis.so.\(HIREDIS_MAJOR).\(HIREDIS_MINOR)"

  private static let loaded: Result<Void, any Error> = Result {
    try SharedLibraries.open([soname], of: "hiredis", install: "hiredis (libhiredis0.14)")
  }

  /// Loads it the first time; afterwards returns at once, or throws the same error again.
  public static func load() throws { try loaded.get() }

  /// The hiredis clipline was built against, for `--version` (hiredis has no function that says its version: the
  /// headers' numbers are the ABI the build linked to).
  public static var version: String { "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)" }
}
