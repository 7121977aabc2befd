import Foundation

/// The process ran out of something local and temporary: descriptors (`ulimit -n`) or memory (`ulimit -v`).
/// Not the input's fault and not a service's: exit 75 (worth retrying elsewhere or later), with the limit named.
public enum ResourceShortage: Error, ExitStatusProviding, CustomStringConvertible, Equatable {
  /// A descriptor could not be had (EMFILE, ENFILE).
  case descriptors
  /// An allocation of `bytes` failed.
  case memory(bytes: Int?)

  public var exitStatus: ExitStatus { .temporaryFailure }

  public var description: String {
    switch self {
    case .descriptors:
      return "out of file descriptors (ulimit -n is \(Self.limit(Int32(RLIMIT_NOFILE.rawValue)))); "
        + "raise the limit or run fewer jobs"
    case .memory(let bytes):
      let size = bytes.map { $0 >= 1 << 20 ? " of \($0 >> 20) MiB" : " of \($0) bytes" } ?? ""
      let limit = Self.limit(Int32(RLIMIT_AS.rawValue), kibibytes: true)
      return "out of memory: an allocation\(size) failed (ulimit -v is \(limit)); raise the limit or run fewer jobs"
    }
  }

  /// The errnos that mean "out of descriptors" or "out of memory", as a shortage; nil for any other.
  public static func of(errno code: Int32) -> ResourceShortage? {
    switch code {
    case EMFILE, ENFILE: return .descriptors
    case ENOMEM: return .memory(bytes: nil)
    default: return nil
    }
  }

  /// Descriptors are short right now: not even one more can be had. For a library that fails without keeping the
  /// errno (libcurl's "couldn't connect" when socket(2) said EMFILE): asked at once, the table is still full.
  public static var descriptorsExhaustedNow: Bool {
    let probe = dup(STDERR_FILENO)
    guard probe < 0 else {
      close(probe)
      return false
    }
    return errno == EMFILE || errno == ENFILE
  }

  /// The shortage behind `error`, however the failing call reported it: an errno in a `SystemCallError`,
  /// `FileSystemError`, `POSIXError` or Foundation file error, or this type itself. Nil for any other failure.
  public static func behind(_ error: Error) -> ResourceShortage? {
    switch error {
    case let shortage as ResourceShortage: return shortage
    case let call as SystemCallError: return of(errno: call.code)
    case let file as FileSystemError: return of(errno: file.code)
    case let posix as POSIXError: return of(errno: posix.code.rawValue)
    case let cocoa as CocoaError: return cocoa.underlyingErrno.flatMap(of(errno:))
    default: return nil
    }
  }

  static func limit(_ resource: __rlimit_resource_t, kibibytes: Bool = false) -> String {
    var limit = rlimit()
    guard getrlimit(resource, &limit) == 0, limit.rlim_cur != rlim_t.max else { return "unlimited" }
    return String(kibibytes ? limit.rlim_cur / 1024 : limit.rlim_cur)
  }
}
