import CliplineRecords
import CliplineSystem
import Foundation

extension RecordUploader {
  /// What `upload(_:order:)` would write, with nothing uploaded, copied or removed: the record checked and planned
  /// exactly as an upload is (an unsafe field or key, or a missing file, throws the same error), then each
  /// destination's URL in its FIELD (and FIELD_expires_at with a time to live), STEM_bytes, and `"dry_run": true`.
  /// No ETag, SHA-256 or presigned URL: those come from the service and the bytes, which a dry run never touches.
  public func dryRun(_ record: Record) throws -> Record {
    let (fileField, file) = try source(record)
    let stem = Self.stem(ofFileField: fileField)
    let plan = try plan(for: record, body: .file(file), stem: stem)
    var output = record
    for (destination, location) in zip(destinations, plan.locations) {
      output[destination.field] = .string(location.description)
      if let expiry = plan.expiry(of: destination) { output[destination.field + "_expires_at"] = expiry }
    }
    output[stem + "_bytes"] = .integer(try localFileSize(file))
    output["dry_run"] = .bool(true)
    return output
  }
}

extension UploadPlan {
  /// FIELD_expires_at of a destination with a time to live: the instant its objects are tagged to expire.
  func expiry(of destination: UploadDestination) -> JSONValue? {
    destination.timeToLive.map { .string(RFC3339.format(started.addingTimeInterval($0), fractionalDigits: 0)) }
  }
}
