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
      case .fileReadNoPermission, .fileWriteNoPermission, .fileWriteVolumeReadOnly: return .permissionDenied
      case .fileWriteOutOfSpace: return .temporaryFailure
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

/// Text for an error as it appears after `tool: error: `: one sentence, never Foundation's `Error Domain=…` dump.
public func describe(_ error: Error) -> String {
  switch error {
  case let posix as POSIXError:
    return sentence(errno: posix.code.rawValue)
  case let cocoa as CocoaError:
    let subject = cocoa.filePath.map { "\($0): " } ?? ""
    return subject + (cocoa.underlyingErrno.map(sentence(errno:)) ?? cocoa.sentence)
  case let localized as LocalizedError where localized.errorDescription != nil:
    return localized.errorDescription!
  default:
    return String(describing: error)
  }
}

/// What an errno means, in words: strerror's, or for a shortage of descriptors or memory the sentence that names
/// the limit (`ResourceShortage`).
public func sentence(errno code: Int32) -> String {
  ResourceShortage.of(errno: code)?.description ?? String(cString: strerror(code))
}

extension CocoaError {
  /// The errno under a Foundation file error, when it has one (NSPOSIXErrorDomain).
  var underlyingErrno: Int32? {
    guard let underlying = userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
    else { return nil }
    return Int32(underlying.code)
  }

  var filePath: String? { userInfo[NSFilePathErrorKey] as? String ?? (userInfo[NSURLErrorKey] as? URL)?.path }

  /// The failure in words when Foundation kept no errno.
  var sentence: String {
    switch code {
    case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or directory"
    case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
    case .fileWriteOutOfSpace: return "no space left on the device"
    case .fileWriteVolumeReadOnly: return "read-only file system"
    case .fileWriteFileExists: return "the file already exists"
    case .fileReadTooLarge: return "the file is too large to read"
    case .fileReadCorruptFile: return "the file cannot be read"
    case .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding: return "not text in UTF-8"
    default: return "the file operation failed (Foundation error \(code.rawValue))"
    }
  }
}
