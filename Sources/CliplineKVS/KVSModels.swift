import CliplineRecords
import CliplineSystem
import Foundation

/// A stream as the API names it: by ARN when one is known (it survives renames), else by name.
public struct KVSStreamReference: Sendable, Hashable, CustomStringConvertible {
  public let name: String?
  public let arn: String?

  public init(name: String? = nil, arn: String? = nil) {
    precondition(name != nil || arn != nil, "a stream needs a name or an ARN")
    self.name = name
    self.arn = arn
  }

  /// The request fields that identify the stream.
  var requestFields: [String: String] {
    if let arn, !arn.isEmpty { return ["StreamARN": arn] }
    return ["StreamName": name ?? ""]
  }

  public var description: String {
    if let name, !name.isEmpty { return "stream \"\(name)\"" }
    return "stream \(arn ?? "?")"
  }

  /// The stream as the request named it: its ARN when it has one (KVS then ignores the name), for an error about
  /// that very identifier, such as a stream that does not exist.
  public var requested: String {
    if let arn, !arn.isEmpty { return "stream \(arn)" }
    return description
  }
}

/// DescribeStream's and ListStreams' view of a stream.
public struct KVSStreamInfo: Sendable, Equatable, Codable {
  public let streamName: String
  public let streamARN: String
  public let status: String
  public let mediaType: String?
  public let dataRetentionInHours: Int
  public let creationTime: Date?

  public var isActive: Bool { status == "ACTIVE" }

  init(json: [String: JSONValue]) {
    streamName = json["StreamName"]?.stringValue ?? ""
    streamARN = json["StreamARN"]?.stringValue ?? ""
    status = json["Status"]?.stringValue ?? "UNKNOWN"
    mediaType = json["MediaType"]?.stringValue
    dataRetentionInHours = Int(json["DataRetentionInHours"]?.doubleValue ?? 0)
    creationTime = json["CreationTime"].flatMap(KVSTime.parse)
  }

  public init(
    streamName: String, streamARN: String, status: String, mediaType: String?, dataRetentionInHours: Int,
    creationTime: Date?
  ) {
    self.streamName = streamName
    self.streamARN = streamARN
    self.status = status
    self.mediaType = mediaType
    self.dataRetentionInHours = dataRetentionInHours
    self.creationTime = creationTime
  }
}

/// Which clock a time range refers to: the camera's (producer) or KVS's arrival time (server).
public enum KVSTimestampKind: String, Sendable, CaseIterable {
  case producer = "PRODUCER_TIMESTAMP"
  case server = "SERVER_TIMESTAMP"
}

/// One fragment from ListFragments: the unit GetClip counts against its 200-fragment limit.
public struct KVSFragment: Sendable, Equatable {
  public let number: String
  public let start: Date
  public let lengthSeconds: Double
  public let bytes: Int64

  public init(number: String, start: Date, lengthSeconds: Double, bytes: Int64) {
    self.number = number
    self.start = start
    self.lengthSeconds = lengthSeconds
    self.bytes = bytes
  }

  public var end: Date { start.addingTimeInterval(lengthSeconds) }
}

/// The data-plane APIs GetDataEndpoint knows, each with its own endpoint.
public enum KVSDataAPI: String, Sendable {
  case getClip = "GET_CLIP"
  case listFragments = "LIST_FRAGMENTS"
  case getHLSStreamingSessionURL = "GET_HLS_STREAMING_SESSION_URL"
  case getMedia = "GET_MEDIA"
}

/// HLS playback: the live edge, or a fixed range of archived media.
public enum KVSPlaybackMode: String, Sendable, CaseIterable {
  case live = "LIVE"
  case liveReplay = "LIVE_REPLAY"
  case onDemand = "ON_DEMAND"
}

/// KVS sends and takes times as epoch seconds (botocore) and sometimes as ISO strings.
enum KVSTime {
  static func parse(_ value: JSONValue) -> Date? {
    if let seconds = value.doubleValue { return Date(timeIntervalSince1970: seconds) }
    if let text = value.stringValue {
      return RFC3339.parse(text) ?? Double(text).map(Date.init(timeIntervalSince1970:))
    }
    return nil
  }

  /// Milliseconds are KVS's resolution; more digits would only be noise.
  static func json(_ date: Date) -> JSONValue {
    .double((date.timeIntervalSince1970 * 1000).rounded() / 1000)
  }
}
