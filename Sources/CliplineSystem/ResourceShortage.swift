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
      let size = bytes.map { " of \($0 >> 20) MiB" } ?? ""
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

  static func limit(_ resource: __rlimit_resource_t, kibibytes: Bool = false) -> String {
    var limit = rlimit()
    guard getrlimit(resource, &limit) == 0, limit.rlim_cur != rlim_t.max else { return "unlimited" }
    return String(kibibytes ? limit.rlim_cur / 1024 : limit.rlim_cur)
  }
}
