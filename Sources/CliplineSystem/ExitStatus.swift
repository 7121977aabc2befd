import Foundation

/// The exit codes every clipline tool shares (sysexits.h). `amqp-consume` reads them:
/// 0 acks, 75 retries later, anything else dead-letters.
public enum ExitStatus: Int32, Sendable, CaseIterable {
  case success = 0
  case failure = 1
  case usage = 64
  case dataError = 65
  case noInput = 66
  case unavailable = 69
  case temporaryFailure = 75
  case permissionDenied = 77
  case configuration = 78
  /// stdout was closed before every record was written (the reader downstream went away): the status a shell gives a
  /// stage that SIGPIPE ended, here as a plain exit with nothing said, so a pipeline never reports lost records as
  /// success.
  case outputClosed = 141

  /// The one place a failure becomes an exit code.
  public static func of(_ error: Error) -> ExitStatus {
    switch error {
    case let classified as ExitStatusProviding: return classified.exitStatus
    case let posix as POSIXError: return of(errno: posix.code.rawValue)
    case let cocoa as CocoaError:
      if let code = cocoa.underlyingErrno { return of(errno: code) }
      switch cocoa.code {
      case .fileNoSuchFile, .fileReadNoSuchFile: return .noInput
      case .fileReadNoPermission, .fileWriteNoPermission: return .permissionDenied
      default: return .failure
      }
    default: return .failure
    }
  }

  /// What a failed system call's errno means for the exit code.
  public static func of(errno code: Int32) -> ExitStatus {
    switch code {
    case ENOENT, ENOTDIR: return .noInput
    case EACCES, EPERM, EROFS: return .permissionDenied
    case ENOSPC, EDQUOT, EAGAIN, EINTR, EMFILE, ENFILE, ENOMEM: return .temporaryFailure
    case ENAMETOOLONG, EILSEQ: return .dataError  // a name from the input that the file system refuses
    default: return .failure
    }
  }

  /// One line for `--help` texts: the codes and what they mean.
  public static let documentation = """
    EXIT STATUS: 0 success; 1 other failure; 64 usage; 65 bad input data; 66 input file missing; \
    69 service unavailable; 75 temporary failure, worth retrying; 77 permission denied; 78 configuration error; \
    141 stdout closed before every record was written.
    """
}

/// An error that knows which shared exit code it deserves.
public protocol ExitStatusProviding: Error {
  var exitStatus: ExitStatus { get }
}

/// Text for an error as it appears after `tool: error: `.
public func describe(_ error: Error) -> String {
  if let cocoa = error as? CocoaError, let code = cocoa.underlyingErrno, let path = cocoa.filePath {
    return "\(path): \(String(cString: strerror(code)))"
  }
  if let localized = error as? LocalizedError, let text = localized.errorDescription { return text }
  return String(describing: error)
}

extension CocoaError {
  /// The errno under a Foundation file error, when it has one (NSPOSIXErrorDomain).
  var underlyingErrno: Int32? {
    guard let underlying = userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
    else { return nil }
    return Int32(underlying.code)
  }

  var filePath: String? { userInfo[NSFilePathErrorKey] as? String ?? (userInfo[NSURLErrorKey] as? URL)?.path }
}
