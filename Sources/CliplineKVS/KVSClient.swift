import CliplineAWS
import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// Where and as whom to reach Kinesis Video Streams.
public struct KVSConfiguration: Sendable {
  public var endpoint: String
  public var region: String
  public var credentials: AWSCredentialsProvider
  public var retry: RetryPolicy
  /// Whole-request limit for control-plane calls; GetClip is only bound by the stall limit (clips are large).
  public var requestTimeout: Double
  /// CA certificates to verify KVS's TLS endpoints with (`--ca-bundle`, `AWS_CA_BUNDLE`); nil: the system's.
  public var caBundle: String?

  public init(
    endpoint: String, region: String, credentials: AWSCredentialsProvider,
    retry: RetryPolicy = RetryPolicy(attempts: 6, baseDelay: 0.2, maximumDelay: 5), requestTimeout: Double = 30
  ) {
    self.endpoint = endpoint
    self.region = region
    self.credentials = credentials
    self.retry = retry
    self.requestTimeout = requestTimeout
  }

  /// Flags, then the usual AWS settings: the region (none anywhere is an error: KVS has no global endpoint),
  /// `AWS_ENDPOINT_URL_KINESIS_VIDEO` and the rest of the aws CLI's endpoint order, the credential chain.
  public static func resolve(
    settings: AWSSettings, endpoint: String?, accessKeyId: String? = nil, secretAccessKey: String? = nil
  ) throws -> KVSConfiguration {
    let region = try settings.requiredRegion(for: "Kinesis Video Streams")
    var configuration = KVSConfiguration(
      endpoint: AWSEndpoint.resolve(.kinesisVideo, region: region, flag: endpoint, profile: settings.profile),
      region: region,
      credentials: AWSCredentialChain.standard(
        settings: settings, accessKeyId: accessKeyId, secretAccessKey: secretAccessKey))
    configuration.caBundle = settings.caBundle
    return configuration
  }
}

/// The Kinesis Video Streams API on libcurl and SigV4 (service `kinesisvideo` for both planes).
/// Not thread-safe: one client per thread, like the `HTTPClient` it owns.
public final class KVSClient {
  public let configuration: KVSConfiguration
  private let http: HTTPClient
  /// GetDataEndpoint answers per stream and API; AWS allows 5 calls a second per stream, so they are kept.
  private var dataEndpoints: [String: String] = [:]
  /// Called before each retry, for the tool's diagnostics.
  public var onRetry: (_ operation: String, _ error: Error, _ attempt: Int, _ delay: Double) -> Void = { _, _, _, _ in }

  public init(configuration: KVSConfiguration, http: HTTPClient? = nil) {
    self.configuration = configuration
    var options = HTTPClient.Options()
    options.caFile = configuration.caBundle
    self.http = http ?? HTTPClient(options: options)
  }

  // MARK: - Control plane

  /// Every stream, over as many pages as it takes; `prefix` is ListStreams' BEGINS_WITH condition.
  public func listStreams(prefix: String? = nil, pageSize: Int = 1000) throws -> [KVSStreamInfo] {
    var streams: [KVSStreamInfo] = []
    var token: String?
    repeat {
      var body: [String: JSONValue] = ["MaxResults": .integer(Int64(pageSize))]
      if let prefix, !prefix.isEmpty {
        body["StreamNameCondition"] = .object([
          "ComparisonOperator": .string("BEGINS_WITH"), "ComparisonValue": .string(prefix),
        ])
      }
      if let token { body["NextToken"] = .string(token) }
      let answer = try callJSON("ListStreams", path: "/listStreams", body: body, stream: nil)
      for item in answer["StreamInfoList"]?.arrayValue ?? [] {
        if let object = item.objectValue { streams.append(KVSStreamInfo(json: object)) }
      }
      token = answer["NextToken"]?.stringValue
      if token?.isEmpty == true { token = nil }
    } while token != nil
    return streams
  }

  public func describeStream(_ stream: KVSStreamReference) throws -> KVSStreamInfo {
    let answer = try callJSON("DescribeStream", path: "/describeStream", body: fields(stream), stream: stream)
    guard let info = answer["StreamInfo"]?.objectValue else {
      throw KVSError(
        kind: .other, code: "MalformedResponse", message: "no StreamInfo in the answer", operation: "DescribeStream",
        stream: stream, status: 200)
    }
    return KVSStreamInfo(json: info)
  }

  public func listTags(_ stream: KVSStreamReference) throws -> [String: String] {
    let answer = try callJSON("ListTagsForStream", path: "/listTagsForStream", body: fields(stream), stream: stream)
    var tags: [String: String] = [:]
    for (key, value) in answer["Tags"]?.objectValue ?? [:] { tags[key] = value.stringValue }
    return tags
  }

  /// The data endpoint for one stream and API, from the cache unless `refresh`.
  public func dataEndpoint(_ stream: KVSStreamReference, api: KVSDataAPI, refresh: Bool = false) throws -> String {
    let key = "\(stream.arn ?? "")|\(stream.name ?? "")|\(api.rawValue)"
    if !refresh, let cached = dataEndpoints[key] { return cached }
    var body = fields(stream)
    body["APIName"] = .string(api.rawValue)
    let answer = try callJSON("GetDataEndpoint", path: "/getDataEndpoint", body: body, stream: stream)
    guard var endpoint = answer["DataEndpoint"]?.stringValue, !endpoint.isEmpty else {
      throw KVSError(
        kind: .other, code: "MalformedResponse", message: "no DataEndpoint in the answer", operation: "GetDataEndpoint",
        stream: stream, status: 200)
    }
    if endpoint.hasSuffix("/") { endpoint.removeLast() }
    dataEndpoints[key] = endpoint
    return endpoint
  }

  // MARK: - Archived media

  /// The fragments whose start lies in `[start, end]`, in time order, over every page.
  public func listFragments(
    _ stream: KVSStreamReference, kind: KVSTimestampKind, start: Date, end: Date
  ) throws -> [KVSFragment] {
    var fragments: [KVSFragment] = []
    var token: String?
    repeat {
      var body = fields(stream)
      body["MaxResults"] = .integer(1000)
      body["FragmentSelector"] = selector(kind: kind, start: start, end: end)
      if let token { body["NextToken"] = .string(token) }
      let answer = try dataPlaneJSON(
        "ListFragments", api: .listFragments, path: "/listFragments", body: body, stream: stream)
      for item in answer["Fragments"]?.arrayValue ?? [] {
        guard let object = item.objectValue else { continue }
        let stamp = kind == .producer ? object["ProducerTimestamp"] : object["ServerTimestamp"]
        guard let begin = stamp.flatMap(KVSTime.parse) else { continue }
        fragments.append(
          KVSFragment(
            number: object["FragmentNumber"]?.textValue ?? "", start: begin,
            lengthSeconds: (object["FragmentLengthInMilliseconds"]?.doubleValue ?? 0) / 1000,
            bytes: object["FragmentSizeInBytes"]?.integerValue ?? 0))
      }
      token = answer["NextToken"]?.stringValue
      if token?.isEmpty == true { token = nil }
    } while token != nil
    // ListFragments does not promise any order.
    return fragments.sorted { $0.start < $1.start }
  }

  /// GetClip for one range, streamed to `path`; returns the bytes written.
  @discardableResult
  public func getClip(
    _ stream: KVSStreamReference, kind: KVSTimestampKind, start: Date, end: Date, to path: String
  ) throws -> Int64 {
    var body = fields(stream)
    body["ClipFragmentSelector"] = selector(kind: kind, start: start, end: end)
    let response = try dataPlane("GetClip", api: .getClip, path: "/getClip", body: body, stream: stream, file: path)
    _ = response
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.size] as? NSNumber)?.int64Value ?? 0
  }

  /// GetClip for one range, its Content-Length (when it has one) to `announce` and its body to `consume` piece by
  /// piece as it arrives (only a 2xx body; an error answer is read as one); returns the bytes handed over. Once a
  /// byte was handed over a failure is not retried: the consumer has already sent it on.
  @discardableResult
  public func getClip(
    _ stream: KVSStreamReference, kind: KVSTimestampKind, start: Date, end: Date,
    announcing announce: @escaping (Int64) throws -> Void = { _ in },
    into consume: @escaping (UnsafeRawBufferPointer) throws -> Void
  ) throws -> Int64 {
    var body = fields(stream)
    body["ClipFragmentSelector"] = selector(kind: kind, start: start, end: end)
    let received = ByteCount()
    let destination = ResponseStream(
      onResponse: { _, headers in
        // Not for a compressed body: then the length is not the clip's.
        guard !headers.contains(where: { $0.name.lowercased() == "content-encoding" }),
          let length = headers.last(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int64($0.value) })
        else { return }
        try announce(length)
      },
      consume: { bytes in
        received.bytes += Int64(bytes.count)
        try consume(bytes)
      })
    _ = try dataPlane(
      "GetClip", api: .getClip, path: "/getClip", body: body, stream: stream, file: nil, consumer: destination,
      retryable: { received.bytes == 0 })
    return received.bytes
  }

  /// An HLS session URL: the live edge, or archived media between `start` and `end`.
  public func hlsStreamingSessionURL(
    _ stream: KVSStreamReference, mode: KVSPlaybackMode, kind: KVSTimestampKind, start: Date?, end: Date?,
    expires: Int
  ) throws -> String {
    var body = fields(stream)
    body["PlaybackMode"] = .string(mode.rawValue)
    body["Expires"] = .integer(Int64(expires))
    if let start, let end {
      body["HLSFragmentSelector"] = selector(kind: kind, start: start, end: end)
    } else {
      body["HLSFragmentSelector"] = .object(["FragmentSelectorType": .string(kind.rawValue)])
    }
    let answer = try dataPlaneJSON(
      "GetHLSStreamingSessionURL", api: .getHLSStreamingSessionURL, path: "/getHLSStreamingSessionURL", body: body,
      stream: stream)
    guard let url = answer["HLSStreamingSessionURL"]?.stringValue else {
      throw KVSError(
        kind: .other, code: "MalformedResponse", message: "no HLSStreamingSessionURL in the answer",
        operation: "GetHLSStreamingSessionURL", stream: stream, status: 200)
    }
    return url
  }

  // MARK: - Requests

  func fields(_ stream: KVSStreamReference) -> [String: JSONValue] {
    stream.requestFields.mapValues { .string($0) }
  }

  private func selector(kind: KVSTimestampKind, start: Date, end: Date) -> JSONValue {
    .object([
      "FragmentSelectorType": .string(kind.rawValue),
      "TimestampRange": .object(["StartTimestamp": KVSTime.json(start), "EndTimestamp": KVSTime.json(end)]),
    ])
  }

  private func callJSON(
    _ operation: String, path: String, body: [String: JSONValue], stream: KVSStreamReference?
  ) throws -> [String: JSONValue] {
    let response = try configuration.retry.run(
      isRetryable: isRetryableKVSFailure,
      onRetry: { error, attempt, delay in self.onRetry(operation, error, attempt, delay) },
      { _ in
        try send(operation, base: configuration.endpoint, path: path, body: body, stream: stream, isDataPlane: false)
      })
    return try parseObject(response.body, operation: operation, stream: stream)
  }

  private func dataPlaneJSON(
    _ operation: String, api: KVSDataAPI, path: String, body: [String: JSONValue], stream: KVSStreamReference
  ) throws -> [String: JSONValue] {
    let response = try dataPlane(operation, api: api, path: path, body: body, stream: stream, file: nil)
    return try parseObject(response.body, operation: operation, stream: stream)
  }

  /// A data-plane call at the stream's cached endpoint. A transport failure there may mean the endpoint moved:
  /// the next attempt asks GetDataEndpoint again.
  private func dataPlane(
    _ operation: String, api: KVSDataAPI, path: String, body: [String: JSONValue], stream: KVSStreamReference,
    file: String?, consumer: ResponseStream? = nil, retryable: @escaping () -> Bool = { true }
  ) throws -> HTTPResponse {
    var refresh = false
    return try configuration.retry.run(
      isRetryable: { isRetryableKVSFailure($0) && retryable() },
      onRetry: { error, attempt, delay in
        if error is HTTPTransportError || (error as? KVSError)?.code == "InvalidEndpointException" { refresh = true }
        self.onRetry(operation, error, attempt, delay)
      },
      { _ in
        let endpoint = try dataEndpoint(stream, api: api, refresh: refresh)
        refresh = false
        return try send(
          operation, base: endpoint, path: path, body: body, stream: stream, isDataPlane: true, file: file,
          consumer: consumer)
      })
  }

  func send(
    _ operation: String, base: String, path: String, body: [String: JSONValue], stream: KVSStreamReference?,
    isDataPlane: Bool, file: String? = nil, consumer: ResponseStream? = nil,
    abandon: (@Sendable () -> Bool)? = nil
  ) throws -> HTTPResponse {
    let payload = JSONSerializer.bytes(.object(body))
    var request = HTTPRequest(
      method: "POST", url: base + path, headers: [("Content-Type", "application/json")], body: .bytes(payload),
      timeout: file == nil && consumer == nil ? configuration.requestTimeout : nil)
    request.abandon = abandon
    let signer = SigV4Signer(
      credentials: try configuration.credentials.credentials(), region: configuration.region, service: "kinesisvideo")
    signer.sign(&request)
    let response: HTTPResponse
    do {
      let destination: ResponseDestination =
        if let consumer { .successfulStream(consumer) } else { file.map { .file(path: $0) } ?? .memory }
      response = try http.send(request, to: destination)
    } catch {
      // A transfer cut short (a stall, a signal) must not leave half a clip that looks like a whole one.
      if let file { unlink(file) }
      throw error
    }
    guard response.isSuccess else {
      // An error answer to GetClip went to the file: read it back (it is a small JSON document) and drop it.
      var errorBody = response.body
      if let file {
        errorBody = (try? Array(Data(contentsOf: URL(fileURLWithPath: file)).prefix(64 * 1024))) ?? []
        unlink(file)
      }
      throw KVSError.from(
        status: response.status, headers: response.headers, body: errorBody, operation: operation, stream: stream,
        isDataPlane: isDataPlane)
    }
    return response
  }

  private func parseObject(
    _ body: [UInt8], operation: String, stream: KVSStreamReference?
  ) throws -> [String: JSONValue] {
    guard case .object(let object)? = try? JSONParser.parse(body) else {
      throw KVSError(
        kind: .other, code: "MalformedResponse", message: "the answer is not a JSON object", operation: operation,
        stream: stream, status: 200)
    }
    return object
  }
}

/// Bytes handed over so far by a streamed GetClip (read by its retry decision on the same thread).
private final class ByteCount {
  var bytes: Int64 = 0
}
