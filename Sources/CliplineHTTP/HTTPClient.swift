internal import CCliplineCurl
import CliplineCrypto
import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// One libcurl easy handle: requests on it reuse the connection. Use one client per thread.
public final class HTTPClient {
  public struct Options: Sendable {
    /// Seconds to establish a connection.
    public var connectTimeout: Double = 10
    /// A transfer slower than 1 byte/s for this many seconds is abandoned (a stall, not a slow link).
    public var stallTimeout: Double = 30
    public var userAgent = "clipline/" + cliplineVersion
    /// A CA bundle for TLS; nil uses the system's.
    public var caFile: String?
    public var verbose = false

    public init() {}
  }

  private let handle: UnsafeMutableRawPointer
  private let options: Options

  public init(options: Options = Options()) {
    handle = HTTPClient.open()
    self.options = options
  }

  /// The easy handle; libcurl returns NULL only when memory is exhausted, where nothing can go on.
  /// Nothing else is set on it here (each request resets and sets it), so `deinit` is the only free.
  private static func open() -> UnsafeMutableRawPointer {
    _ = CurlLibrary.required
    guard let handle = curl_easy_init() else { fatalError("curl_easy_init returned NULL: out of memory") }
    return handle
  }

  deinit { curl_easy_cleanup(handle) }

  /// Bytes libcurl hands over per write callback (its maximum is 10 MiB, its default 16 KiB).
  static let receiveBufferSize = 256 << 10
  /// Bytes libcurl asks for per read callback (its maximum is 2 MiB, its default 64 KiB).
  static let sendBufferSize = 512 << 10

  /// Sends a request and returns the answer, whatever its status; `.checked()` turns non-2xx into errors.
  @discardableResult
  public func send(_ request: HTTPRequest, to destination: ResponseDestination = .memory) throws -> HTTPResponse {
    curl_easy_reset(handle)
    let transfer = try Transfer(request: request, destination: destination)
    defer { transfer.close() }
    let bodyLength = transfer.bodyLength
    try setConnection(for: request, bodyLength: bodyLength)
    try setMethod(request.method, bodyLength: bodyLength)
    try setBufferSizes(bodyLength: bodyLength, destination: destination)
    let headerList = try setHeaders(of: request)
    defer { curl_slist_free_all(headerList) }
    try setCallbacks(to: transfer)

    let result = curl_easy_perform(handle)
    if let failure = transfer.failure { throw failure }
    guard result == CURLE_OK else {
      var failure = HTTPTransportError(
        code: Int(result.rawValue), message: transfer.errorText(result), url: request.url)
      var osErrno = 0
      _ = clipline_curl_getinfo_long(handle, CURLINFO_OS_ERRNO, &osErrno)
      failure.shortage =
        ResourceShortage.of(errno: Int32(osErrno)) ?? (ResourceShortage.descriptorsExhaustedNow ? .descriptors : nil)
      throw failure
    }
    var status = 0
    _ = clipline_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
    try transfer.finishDestination()
    return HTTPResponse(status: status, headers: transfer.responseHeaders, body: transfer.body, url: request.url)
  }

  /// Where to, with which limits, and as whom.
  private func setConnection(for request: HTTPRequest, bodyLength: Int64) throws {
    try set(CURLOPT_URL, string: request.url)
    try set(CURLOPT_NOSIGNAL, 1)
    try set(CURLOPT_USERAGENT, string: options.userAgent)
    try set(CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000))
    try set(CURLOPT_LOW_SPEED_LIMIT, 1)
    try set(CURLOPT_LOW_SPEED_TIME, max(1, Int(options.stallTimeout)))
    if let timeout = request.timeout { try set(CURLOPT_TIMEOUT_MS, Int(timeout * 1000)) }
    if let caFile = options.caFile { try set(CURLOPT_CAINFO, string: caFile) }
    if options.verbose { try set(CURLOPT_VERBOSE, 1) }
    try set(CURLOPT_ACCEPT_ENCODING, string: "")
    // A reused handle must not keep following what its last request followed.
    try set(CURLOPT_FOLLOWLOCATION, request.redirectLimit > 0 ? 1 : 0)
    if request.redirectLimit > 0 {
      try set(CURLOPT_MAXREDIRS, request.redirectLimit)
      // Never to file:// or anything else a server could point us at; credentials stay with the first host.
      try set(CURLOPT_REDIR_PROTOCOLS_STR, string: "http,https")
    }
    // libcurl's 16 KiB receive and 64 KiB send buffers make a 50 MB transfer some 3,000–12,000 callbacks, each a
    // system call or two: larger ones move the same bytes in a sixteenth of the calls. A size only: libcurl refuses
    // to change it while it still holds a buffer (after a transfer that failed), and the old size then serves.
    _ = clipline_curl_setopt_long(handle, CURLOPT_BUFFERSIZE, HTTPClient.receiveBufferSize)
    if bodyLength > 0 {
      let sendBuffer = Int(min(max(bodyLength, 16 << 10), Int64(HTTPClient.sendBufferSize)))
      _ = clipline_curl_setopt_long(handle, CURLOPT_UPLOAD_BUFFERSIZE, sendBuffer)
    }
  }

  private func setMethod(_ method: String, bodyLength: Int64) throws {
    switch method.uppercased() {
    case "GET":
      try set(CURLOPT_HTTPGET, 1)
    case "HEAD":
      try set(CURLOPT_NOBODY, 1)
    case "PUT":
      try set(CURLOPT_UPLOAD, 1)
      try check(clipline_curl_setopt_int64(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(bodyLength)), "INFILESIZE")
    case "POST":
      try set(CURLOPT_POST, 1)
      try check(clipline_curl_setopt_int64(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyLength)), "POSTSIZE")
    default:
      try set(CURLOPT_CUSTOMREQUEST, string: method)
      if bodyLength > 0 {
        try set(CURLOPT_UPLOAD, 1)
        try check(clipline_curl_setopt_int64(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(bodyLength)), "INFILESIZE")
      }
    }
  }

  /// The request's headers and ours; the list libcurl reads them from, which the caller frees after the transfer.
  private func setHeaders(of request: HTTPRequest) throws -> UnsafeMutablePointer<curl_slist>? {
    var headers = request.headers
    // The run's trace, so a traced S3, Azure, GraphQL or KVS endpoint (or a proxy) joins it.
    if request.header("traceparent") == nil, let trace = ToolTrace.outgoing {
      headers.append(("traceparent", trace.traceparent))
    }
    // A 100-continue round trip costs a full RTT per request for nothing we use.
    if request.header("Expect") == nil { headers.append(("Expect", "")) }
    if case .none = request.body, request.method.uppercased() == "POST", request.header("Content-Type") == nil {
      headers.append(("Content-Type", ""))
    }
    var headerList: UnsafeMutablePointer<curl_slist>?
    for (name, value) in headers {
      headerList = curl_slist_append(headerList, value.isEmpty ? "\(name):" : "\(name): \(value)")
    }
    do {
      try check(clipline_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), "HTTPHEADER")
    } catch {
      curl_slist_free_all(headerList)
      throw error
    }
    return headerList
  }

  /// The transfer's callbacks, reached through its opaque pointer.
  private func setCallbacks(to transfer: Transfer) throws {
    let context = Unmanaged.passUnretained(transfer).toOpaque()
    try check(clipline_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, Transfer.onBody), "WRITEFUNCTION")
    try check(clipline_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context), "WRITEDATA")
    try check(clipline_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, Transfer.onHeader), "HEADERFUNCTION")
    try check(clipline_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context), "HEADERDATA")
    try check(clipline_curl_setopt_data_callback(handle, CURLOPT_READFUNCTION, Transfer.onRead), "READFUNCTION")
    try check(clipline_curl_setopt_pointer(handle, CURLOPT_READDATA, context), "READDATA")
    // A reused connection the server closed makes libcurl resend the request on a new one: it must rewind the body.
    try check(clipline_curl_setopt_seek_callback(handle, Transfer.onSeek), "SEEKFUNCTION")
    try check(clipline_curl_setopt_pointer(handle, CURLOPT_SEEKDATA, context), "SEEKDATA")
    try set(CURLOPT_NOPROGRESS, 0)
    try check(clipline_curl_setopt_xferinfo_callback(handle, Transfer.onProgress), "XFERINFOFUNCTION")
    try check(clipline_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context), "XFERINFODATA")
  }

  /// libcurl's default buffers (16 KiB received, 64 KiB sent per callback) cost a lock, a copy and a wake-up per
  /// piece when a large body streams between two requests (kvs-clip --to: ~3,400 pieces for a 55 MB clip): a body
  /// of over a megabyte, or a response that is not kept in memory, gets 1 MiB ones (bench/README.md, S2).
  private func setBufferSizes(bodyLength: Int64, destination: ResponseDestination) throws {
    let large = 1 << 20
    if bodyLength > Int64(large) { try set(CURLOPT_UPLOAD_BUFFERSIZE, large) }
    if case .memory = destination { return }
    try set(CURLOPT_BUFFERSIZE, large)
  }

  private func set(_ option: CURLoption, _ value: Int) throws {
    try check(clipline_curl_setopt_long(handle, option, value), "option \(option.rawValue)")
  }

  private func set(_ option: CURLoption, string: String) throws {
    try check(clipline_curl_setopt_string(handle, option, string), "option \(option.rawValue)")
  }

  private func check(_ code: CURLcode, _ operation: String) throws {
    guard code == CURLE_OK else {
      throw HTTPTransportError(
        code: Int(code.rawValue),
        message: "curl_easy_setopt \(operation): " + String(cString: curl_easy_strerror(code)),
        url: "")
    }
  }

  /// URL-encodes one path segment or query value (RFC 3986 unreserved characters pass).
  public static func percentEncode(_ text: String, keepSlash: Bool = false) -> String {
    var out = ""
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
        UInt8(ascii: "~"):
        out.append(Character(Unicode.Scalar(byte)))
      case UInt8(ascii: "/") where keepSlash:
        out.append("/")
      default:
        out += String(format: "%%%02X", byte)
      }
    }
    return out
  }
}

/// The state of one transfer, reached from libcurl's callbacks through their userdata pointer.
private final class Transfer {
  let request: HTTPRequest
  let destination: ResponseDestination
  var body: [UInt8] = []
  var responseHeaders: [(name: String, value: String)] = []
  /// The status of the response being received, from its status line.
  var status = 0
  /// Whether a `.successfulStream` was told its response.
  var announced = false
  var failure: Error?
  private var output: FileHandle?
  private var outputPath: String?
  /// A file body: its descriptor, read with pread straight into libcurl's buffer, and where its range starts.
  private var input: Int32 = -1
  private var inputStart: Int64 = 0
  private var source: HTTPBodySource?
  private var inputPieces: HTTPBodyPieces?
  private var inputBytes: [UInt8] = []
  private var inputOffset = 0
  private var inputRemaining: Int64 = 0
  let bodyLength: Int64

  init(request: HTTPRequest, destination: ResponseDestination) throws {
    self.request = request
    self.destination = destination
    bodyLength = try request.body.length()
    switch request.body {
    case .none: break
    case .bytes(let bytes):
      inputBytes = bytes
      inputRemaining = Int64(bytes.count)
    case .pieces(let pieces):
      inputPieces = pieces
      inputRemaining = pieces.length
    case .file(let path, let offset, _):
      let descriptor = open(path, O_RDONLY | O_CLOEXEC)
      guard descriptor >= 0 else {
        throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
      }
      input = descriptor
      inputStart = offset
      inputRemaining = bodyLength
    case .stream(let length, let source):
      self.source = source
      inputRemaining = length
    }
    if case .file(let path) = destination {
      output = try LocalFile.create(path)
      outputPath = path
    }
  }

  func close() {
    if input >= 0 { Foundation.close(input) }
    input = -1
    try? output?.close()
  }

  func finishDestination() throws {
    try output?.synchronize()
    if case .successfulStream(let stream) = destination, announced { try stream.finish() }
  }

  func errorText(_ code: CURLcode) -> String { String(cString: curl_easy_strerror(code)) }

  static let onBody: clipline_curl_data_callback = { data, size, count, context in
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    let bytes = UnsafeRawBufferPointer(start: data, count: length)
    do {
      switch transfer.destination {
      case .memory: transfer.body.append(contentsOf: bytes)
      case .file: try transfer.output?.write(contentsOf: bytes)
      case .stream(let consume): try consume(bytes)
      case .successfulStream(let stream):
        guard (200..<300).contains(transfer.status) else {
          transfer.body.append(contentsOf: bytes)
          break
        }
        if !transfer.announced {
          transfer.announced = true
          try stream.onResponse(transfer.status, transfer.responseHeaders)
        }
        try stream.consume(bytes)
      }
      return length
    } catch {
      transfer.failure = error
      return 0
    }
  }

  static let onHeader: clipline_curl_data_callback = { data, size, count, context in
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
      transfer.status = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
      transfer.responseHeaders.removeAll()  // a new response (after 100 Continue or a redirect)
    } else if let colon = line.firstIndex(of: ":") {
      let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
      let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespacesAndNewlines)
      transfer.responseHeaders.append((name, value))
    }
    return length
  }

  static let onRead: clipline_curl_data_callback = { data, size, count, context in
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let wanted = min(Int64(size * count), transfer.inputRemaining)
    guard wanted > 0, let data else { return 0 }
    if let source = transfer.source {
      do {
        let count = try source.read(into: UnsafeMutableRawBufferPointer(start: data, count: Int(wanted)))
        transfer.inputRemaining -= Int64(count)
        return count
      } catch {
        transfer.failure = error
        return Int(CURL_READFUNC_ABORT)
      }
    }
    if let pieces = transfer.inputPieces {
      let count = pieces.copy(
        from: transfer.bodyLength - transfer.inputRemaining,
        into: UnsafeMutableRawBufferPointer(start: data, count: Int(wanted)))
      transfer.inputRemaining -= Int64(count)
      return count
    }
    if transfer.input >= 0 {
      let position = transfer.inputStart + transfer.bodyLength - transfer.inputRemaining
      do {
        let count = try FileDescriptorIO.retryingInterrupts("pread") {
          pread(transfer.input, data, Int(wanted), off_t(position))
        }
        transfer.inputRemaining -= Int64(count)
        return count
      } catch {
        transfer.failure = error
        return Int(CURL_READFUNC_ABORT)
      }
    }
    let start = transfer.inputOffset
    transfer.inputBytes.withUnsafeBytes { raw in
      UnsafeMutableRawPointer(data).copyMemory(from: raw.baseAddress! + start, byteCount: Int(wanted))
    }
    transfer.inputOffset += Int(wanted)
    transfer.inputRemaining -= wanted
    return Int(wanted)
  }

  /// Moves the body back to `offset` (from its start) so libcurl can send it again.
  static let onSeek: clipline_curl_seek_callback = { context, offset, origin in
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let offset = Int64(offset)
    guard origin == SEEK_SET, offset >= 0, offset <= transfer.bodyLength else { return Int32(CURL_SEEKFUNC_CANTSEEK) }
    // A produced body cannot be read again: only "from the start, before anything was read" is possible.
    if transfer.source != nil {
      return offset == 0 && transfer.inputRemaining == transfer.bodyLength
        ? Int32(CURL_SEEKFUNC_OK) : Int32(CURL_SEEKFUNC_CANTSEEK)
    }
    if transfer.input < 0 { transfer.inputOffset = Int(offset) }
    transfer.inputRemaining = transfer.bodyLength - offset
    return Int32(CURL_SEEKFUNC_OK)
  }

  /// Abandons the transfer when the process is asked to stop, or its request's `abandon` says so.
  static let onProgress: clipline_curl_xferinfo_callback = { context, _, _, _, _ in
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    if ShutdownSignal.shared.isRequested && !transfer.request.continuesDuringShutdown { return 1 }
    return transfer.request.abandon?() == true ? 1 : 0
  }
}
