import CliplineRecords
import CliplineSystem

/// A record whose `field` holds the same value as `otherField` is refused (exit 65): `create-chunk` must never
/// record the source video (`source_stream_path`) as a chunk's `cloudPath`.
public struct SameValueRefusal: Equatable, Sendable {
  public let field: String
  public let otherField: String
  public let advice: String

  public init(field: String, otherField: String, advice: String) {
    self.field = field
    self.otherField = otherField
    self.advice = advice
  }

  func check(_ record: Record) throws {
    guard let value = record.value(at: field), value != .null, value == record.value(at: otherField) else { return }
    throw InputError.invalidField(field, reason: "is the same URL as \(otherField); \(advice)")
  }
}
