import CliplineHTTP
import CliplineRecords
import Foundation

/// Where a GetMedia session starts (its StartSelector).
public enum KVSMediaSelector: Sendable, Equatable, CustomStringConvertible {
  /// The fragment arriving now.
  case now
  /// The oldest fragment kept.
  case earliest
  /// The fragment after this one (FRAGMENT_NUMBER starts *after* the number given).
  case after(FragmentNumber)
  /// The fragment holding this instant on the server's clock.
  case serverTimestamp(KVSMillis)
  /// The fragment holding this instant on the producer's clock.
  case producerTimestamp(KVSMillis)
  /// Where a previous session ended.
  case continuationToken(String)

  var json: JSONValue {
    func timestamp(_ type: String, _ time: KVSMillis) -> JSONValue {
      .object(["StartSelectorType": .string(type), "StartTimestamp": .double(time.seconds)])
    }
    switch self {
    case .now: return .object(["StartSelectorType": .string("NOW")])
    case .earliest: return .object(["StartSelectorType": .string("EARLIEST")])
    case .after(let number):
      return .object(["StartSelectorType": .string("FRAGMENT_NUMBER"), "AfterFragmentNumber": .string(number.text)])
    case .serverTimestamp(let time): return timestamp("SERVER_TIMESTAMP", time)
    case .producerTimestamp(let time): return timestamp("PRODUCER_TIMESTAMP", time)
    case .continuationToken(let token):
      return .object(["StartSelectorType": .string("CONTINUATION_TOKEN"), "ContinuationToken": .string(token)])
    }
  }

  public var description: String {
    switch self {
    case .now: return "now"
    case .earliest: return "the earliest fragment"
    case .after(let number): return "after fragment \(number)"
    case .serverTimestamp(let time): return "server time \(time)"
    case .producerTimestamp(let time): return "producer time \(time)"
    case .continuationToken(let token): return "continuation token \(token)"
    }
  }
}

extension KVSClient {
  /// GetMedia: the body of one session, handed to `consume` piece by piece as it arrives, until KVS ends it (a
  /// session lasts about 45 minutes, and ends without an error), `abandon` answers true (asked about once a second,
  /// on this thread), or no byte came for the HTTP client's stall limit (the caller's idle timeout: an
  /// `HTTPTransportError`). An error answer throws `KVSError` (ConnectionLimitExceededException when three readers
  /// hold the stream already); errors KVS reports inside the body are the consumer's to read. Not retried here: the
  /// caller resumes from what it received. `refreshEndpoint` asks GetDataEndpoint again first (InvalidEndpointException,
  /// an endpoint that stopped answering).
  public func getMedia(
    _ stream: KVSStreamReference, from selector: KVSMediaSelector, refreshEndpoint: Bool = false,
    abandon: (@Sendable () -> Bool)? = nil, consume: @escaping (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    var body = fields(stream)
    body["StartSelector"] = selector.json
    let endpoint = try dataEndpoint(stream, api: .getMedia, refresh: refreshEndpoint)
    _ = try send(
      "GetMedia", base: endpoint, path: "/getMedia", body: body, stream: stream, isDataPlane: true,
      consumer: ResponseStream(onResponse: { _, _ in }, consume: consume), abandon: abandon)
  }
}
