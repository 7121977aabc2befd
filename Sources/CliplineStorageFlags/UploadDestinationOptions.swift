import ArgumentParser
import CliplineBlobStores
import CliplineCLI
import CliplineSystem
import Foundation

/// Where an upload goes and how it is stored, spelled the same by every tool that uploads (`blob-put` a record's
/// file, `kvs-clip --to` the clip as GetClip sends it): `--to TEMPLATE=FIELD`, `--ttl`, `--presign`, `--copy-mode`,
/// `--content-type`.
public struct UploadDestinationOptions: ParsableArguments {
  @Option(
    name: .customLong("to"),
    help: ArgumentHelp(
      "A destination: TEMPLATE=FIELD (repeatable; all upload in parallel).", valueName: "template=field"))
  public var destinations: [String] = []

  @Option(help: "Add FIELD_presigned_url, a GET URL valid this long (at most 7d), for each destination.")
  public var presign: DurationArgument?

  @Option(
    help: ArgumentHelp(
      "Mark a destination as cache: its object expires after DURATION (tag and Expires); repeatable.",
      valueName: "field=duration"))
  public var ttl: [String] = []

  @Option(
    help: ArgumentHelp(
      "A second destination on the same service: auto or server (a server-side copy), or upload.",
      valueName: "auto|server|upload"))
  public var copyMode: String = "auto"

  @Option(help: "Content-Type of the objects (default: from the file extension).")
  public var contentType: String?

  public init() {}

  /// SigV4 presigned URLs live at most 7 days; a cache object's TTL at most ten years.
  static let presignLifetimes: ClosedRange<Double> = 1...604_800
  static let timesToLive: ClosedRange<Double> = 1...(3650 * 86400)

  public func validate() throws {
    let fields = try parsedDestinations().map(\.field)
    guard Set(fields).count == fields.count else {
      throw ValidationError("Two --to destinations write the same field.")
    }
    try presign?.check("--presign (at most what SigV4 allows)", within: Self.presignLifetimes)
    guard CopyMode(rawValue: copyMode) != nil else {
      throw ValidationError("--copy-mode must be auto, server or upload.")
    }
  }

  func parsedDestinations() throws -> [UploadDestination] {
    var parsed: [UploadDestination] = []
    for text in destinations {
      do {
        parsed.append(try UploadDestination(parsing: text))
      } catch {
        throw ValidationError(describe(error))
      }
    }
    for entry in ttl {
      guard let equals = entry.lastIndex(of: "="),
        let duration = DurationArgument(argument: String(entry[entry.index(after: equals)...]))
      else { throw ValidationError("--ttl \"\(entry)\": write FIELD=DURATION, e.g. --ttl cache_path=24h.") }
      try duration.check("--ttl \(entry)", within: Self.timesToLive)
      let seconds = duration.seconds
      let field = String(entry[..<equals])
      guard let index = parsed.firstIndex(where: { $0.field == field }) else {
        throw ValidationError("--ttl \(field)=…: no --to destination writes the field \"\(field)\".")
      }
      parsed[index].timeToLive = seconds
    }
    return parsed
  }

  /// The record uploader these flags describe, over `stores`; nil without a `--to`.
  public func uploader(stores: BlobStoreSet, log: (@Sendable (String) -> Void)?) throws -> RecordUploader? {
    guard !destinations.isEmpty else { return nil }
    var uploader = RecordUploader(stores: stores, destinations: try parsedDestinations())
    uploader.presignLifetime = presign?.seconds
    uploader.contentType = contentType
    uploader.copyMode = CopyMode(rawValue: copyMode) ?? .auto
    uploader.log = log
    return uploader
  }
}
