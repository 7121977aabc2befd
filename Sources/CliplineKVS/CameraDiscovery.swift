import CliplineCache
import CliplineRecords
import CliplineSystem
import Foundation

/// One camera as `kvs-discover` writes it (and as the discovery cache keeps it). Built from and into JSON values
/// directly: a warm-cache run is mostly this conversion, and Foundation's Codable costs ten times more.
public struct CameraRecord: Equatable, Sendable {
  public var cameraId: String
  public var streamName: String
  public var streamArn: String
  public var status: String
  public var mediaType: String?
  public var dataRetentionHours: Int
  public var creationTime: String?

  public init(stream: KVSStreamInfo, cameraId: String? = nil) {
    self.cameraId = cameraId ?? stream.streamName
    streamName = stream.streamName
    streamArn = stream.streamARN
    status = stream.status
    mediaType = stream.mediaType
    dataRetentionHours = stream.dataRetentionInHours
    creationTime = stream.creationTime.map { RFC3339.format($0, fractionalDigits: 3) }
  }

  /// Reads a cached record; nil when a required field is missing or of the wrong type.
  public init?(fields: [String: JSONValue]) {
    guard let cameraId = fields["camera_id"]?.stringValue, let streamName = fields["stream_name"]?.stringValue,
      let streamArn = fields["stream_arn"]?.stringValue, let status = fields["status"]?.stringValue
    else { return nil }
    self.cameraId = cameraId
    self.streamName = streamName
    self.streamArn = streamArn
    self.status = status
    mediaType = fields["media_type"]?.stringValue
    dataRetentionHours = Int(fields["data_retention_hours"]?.integerValue ?? 0)
    creationTime = fields["creation_time"]?.stringValue
  }

  public var isActive: Bool { status == "ACTIVE" }

  /// Every field is always written (null when KVS gave none), so downstream tools see one shape.
  public var fields: [String: JSONValue] {
    [
      "camera_id": .string(cameraId), "stream_name": .string(streamName), "stream_arn": .string(streamArn),
      "status": .string(status), "media_type": mediaType.map(JSONValue.string) ?? .null,
      "data_retention_hours": .integer(Int64(dataRetentionHours)),
      "creation_time": creationTime.map(JSONValue.string) ?? .null,
    ]
  }

  public var record: Record { Record(fields) }
}

/// The seed's `discover_cameras()`: the cache first, else ListStreams (every page), then the cache is rewritten.
/// The cache keeps every stream whatever its status, so `--all` and the ACTIVE filter share one entry.
public final class CameraDiscovery {
  public struct Options: Sendable {
    public var prefix: String?
    public var includeInactive = false
    /// Bypass the cache for reading; the API's answer still rewrites it (the seed's `POST /trigger/discover`).
    public var refresh = false
    public var cacheKey = CameraDiscovery.defaultCacheKey
    public var cacheLifetime: Double = 300
    /// A stream tag naming the camera; without it (or without the tag on a stream), the stream name is the id.
    public var cameraIdTag: String?
    public var pageSize = 1000

    public init() {}
  }

  public static let defaultCacheKey = "s2:cameras:discovered"

  /// Where the answer came from, for the log line and the tests.
  public enum Source: String, Sendable { case cache, api }

  private let makeClient: () throws -> KVSClient
  private let cache: RecordCache?
  private let diagnostics: Diagnostics

  /// `makeClient` is called only on a cache miss: a warm cache never resolves credentials or opens a connection.
  public init(cache: RecordCache?, diagnostics: Diagnostics, makeClient: @escaping () throws -> KVSClient) {
    self.cache = cache
    self.diagnostics = diagnostics
    self.makeClient = makeClient
  }

  public func discover(_ options: Options) throws -> (cameras: [CameraRecord], source: Source) {
    let key = options.prefix.map { options.cacheKey + ":" + $0 } ?? options.cacheKey
    if !options.refresh, let cached = readCache(key) {
      return (filter(cached, options), .cache)
    }
    let client = try makeClient()
    let streams = try client.listStreams(prefix: options.prefix, pageSize: options.pageSize)
    var cameras: [CameraRecord] = []
    cameras.reserveCapacity(streams.count)
    for stream in streams {
      var cameraId: String?
      if let tag = options.cameraIdTag {
        cameraId = try client.listTags(KVSStreamReference(name: stream.streamName, arn: stream.streamARN))[tag]
      }
      cameras.append(CameraRecord(stream: stream, cameraId: cameraId))
    }
    cameras.sort { $0.streamName < $1.streamName }
    writeCache(key, cameras, lifetime: options.cacheLifetime)
    return (filter(cameras, options), .api)
  }

  private func filter(_ cameras: [CameraRecord], _ options: Options) -> [CameraRecord] {
    options.includeInactive ? cameras : cameras.filter(\.isActive)
  }

  /// The cached list, or nil (with a warning when the cache failed or held something unreadable).
  private func readCache(_ key: String) -> [CameraRecord]? {
    guard let cache else { return nil }
    do {
      guard let bytes = try cache.read(key: key) else { return nil }
      guard case .array(let items) = try JSONParser.parse(bytes) else {
        throw UnreadableCache(reason: "not a JSON list")
      }
      return try items.map {
        guard let fields = $0.objectValue, let camera = CameraRecord(fields: fields) else {
          throw UnreadableCache(reason: "an entry lacks camera_id, stream_name, stream_arn or status")
        }
        return camera
      }
    } catch let error as UnreadableCache {
      diagnostics.warning(
        "the discovery cache \(cache.location) key \(key) holds unreadable data (\(error.reason)); asking KVS")
    } catch let error as JSONParseError {
      diagnostics.warning(
        "the discovery cache \(cache.location) key \(key) holds unreadable data (\(error)); asking KVS")
    } catch {
      diagnostics.warning("the discovery cache \(cache.location) cannot be read (\(describe(error))); asking KVS")
    }
    return nil
  }

  private func writeCache(_ key: String, _ cameras: [CameraRecord], lifetime: Double) {
    guard let cache else { return }
    do {
      let list = JSONValue.array(cameras.map { .object($0.fields) })
      try cache.write(key: key, value: JSONSerializer.bytes(list), lifetime: lifetime)
    } catch {
      diagnostics.warning("the discovery cache \(cache.location) cannot be written (\(describe(error)))")
    }
  }
}

private struct UnreadableCache: Error {
  let reason: String
}
