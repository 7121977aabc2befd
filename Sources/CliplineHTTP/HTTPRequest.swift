import Foundation

/// What a request sends as its body: nothing, bytes in memory (whole, or in pieces someone else owns), a range of
/// a file streamed from disk, or `length` bytes produced while they are sent (another thread filling `source`; such
/// a request cannot be sent twice).
public enum HTTPBody: Sendable {
  case none
  case bytes([UInt8])
  case pieces(HTTPBodyPieces)
  case file(path: String, offset: Int64 = 0, length: Int64? = nil)
  case stream(length: Int64, source: HTTPBodySource)

  /// The byte count, for Content-Length.
  public func length() throws -> Int64 {
    switch self {
    case .none: return 0
    case .bytes(let bytes): return Int64(bytes.count)
    case .pieces(let pieces): return pieces.length
    case .file(let path, let offset, let length):
      if let length { return length }
      let attributes = try FileManager.default.attributesOfItem(atPath: path)
      return ((attributes[.size] as? NSNumber)?.int64Value ?? 0) - offset
    case .stream(let length, _): return length
    }
  }
}

/// A body already in memory as pieces sent one after another (a chunk cut into memory: its head, its moved index,
/// its media), not copied together first; unlike a stream it can be sent again from the start, by a retry or by
/// libcurl's rewind. Whoever makes it keeps the memory alive and unchanged until the last request sending it ends.
public struct HTTPBodyPieces: @unchecked Sendable {
  public let pieces: [UnsafeRawBufferPointer]
  public let length: Int64

  public init(_ pieces: [UnsafeRawBufferPointer]) {
    self.pieces = pieces
    length = pieces.reduce(0) { $0 + Int64($1.count) }
  }

  /// Copies the bytes from `offset` on into `target`, as many as fit; returns how many.
  public func copy(from offset: Int64, into target: UnsafeMutableRawBufferPointer) -> Int {
    var copied = 0
    var start = offset
    for piece in pieces where copied < target.count {
      guard start < Int64(piece.count) else {
        start -= Int64(piece.count)
        continue
      }
      let count = min(piece.count - Int(start), target.count - copied)
      (target.baseAddress! + copied).copyMemory(from: piece.baseAddress! + Int(start), byteCount: count)
      copied += count
      start = 0
    }
    return copied
  }
}

/// The producer side of a `.stream` body: `read` fills `buffer` with the next bytes, waiting for them if they have
/// not been produced yet, and returns how many (0 at the end); a throw abandons the request.
public protocol HTTPBodySource: AnyObject, Sendable {
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

public struct HTTPRequest: Sendable {
  public var method: String
  public var url: String
  public var headers: [(name: String, value: String)]
  public var body: HTTPBody
  /// Whole-request limit in seconds; nil means only the stall limit of the client applies.
  public var timeout: Double?
  /// Cleanup that must still reach the server after SIGTERM (aborting a multipart upload): not abandoned.
  public var continuesDuringShutdown = false
  /// Asked about once a second while the request runs, on its thread: true abandons it (a long-lived body whose
  /// reader no longer wants it).
  public var abandon: (@Sendable () -> Bool)?
  /// How many redirects (3xx with a Location) to follow, to http or https only; 0: a redirect is the answer.
  public var redirectLimit = 0

  /// How many redirects a download of a source video follows (curl's own default is 30; a chain longer than this
  /// is a loop or a misconfiguration).
  public static let sourceRedirectLimit = 10

  /// A GET of a source video by its http(s) URL: storage links (a presigned URL behind a short link, a CDN) often
  /// answer with a redirect, which it follows, up to `sourceRedirectLimit`.
  public static func download(_ url: String, headers: [(name: String, value: String)] = []) -> HTTPRequest {
    var request = HTTPRequest(url: url, headers: headers)
    request.redirectLimit = sourceRedirectLimit
    return request
  }

  public init(
    method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: HTTPBody = .none,
    timeout: Double? = nil
  ) {
    self.method = method
    self.url = url
    self.headers = headers
    self.body = body
    self.timeout = timeout
  }

  public mutating func setHeader(_ name: String, _ value: String) {
    headers.removeAll { $0.name.lowercased() == name.lowercased() }
    headers.append((name, value))
  }

  public func header(_ name: String) -> String? {
    headers.first { $0.name.lowercased() == name.lowercased() }?.value
  }
}

public struct HTTPResponse: Sendable {
  public let status: Int
  public let headers: [(name: String, value: String)]
  /// The body, unless it was streamed elsewhere.
  public let body: [UInt8]
  public let url: String

  public func header(_ name: String) -> String? {
    headers.last { $0.name.lowercased() == name.lowercased() }?.value
  }

  public var bodyText: String { String(decoding: body, as: UTF8.self) }

  public var isSuccess: Bool { (200..<300).contains(status) }

  /// Throws `HTTPStatusError` for anything but 2xx.
  public func checked() throws -> HTTPResponse {
    guard isSuccess else {
      let excerpt = String(bodyText.prefix(300)).replacingOccurrences(of: "\n", with: " ")
      let retryAfter = header("Retry-After").flatMap(Double.init)
      throw HTTPStatusError(status: status, url: url, bodyExcerpt: excerpt, retryAfter: retryAfter)
    }
    return self
  }
}

/// Where a response body goes: kept in memory, written to a file, or handed over piece by piece.
public enum ResponseDestination {
  case memory
  case file(path: String)
  case stream((UnsafeRawBufferPointer) throws -> Void)
  /// Handed over piece by piece only when the status is 2xx (after `ResponseStream.onResponse`); any other
  /// body is kept in memory for the error message.
  case successfulStream(ResponseStream)
}

/// A 2xx body as it arrives, told the status and headers before its first byte.
public struct ResponseStream {
  public var onResponse: (_ status: Int, _ headers: [(name: String, value: String)]) throws -> Void
  public var consume: (UnsafeRawBufferPointer) throws -> Void
  /// Called once the whole 2xx body has arrived (before `send` returns): write out what `consume` held back.
  public var finish: () throws -> Void

  public init(
    onResponse: @escaping (_ status: Int, _ headers: [(name: String, value: String)]) throws -> Void,
    consume: @escaping (UnsafeRawBufferPointer) throws -> Void, finish: @escaping () throws -> Void = {}
  ) {
    self.onResponse = onResponse
    self.consume = consume
    self.finish = finish
  }
}
