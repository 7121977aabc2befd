import CliplineAWS
import CliplineRecords
import CliplineSystem

/// The SHA-256 a record already carries for its file (`chunk` writes `chunk_hash`), taken as known so the file is
/// not read again to hash it; the server or the store's own pass checks it.
extension RecordUploader {
  /// The field that holds the file's SHA-256 as 64 hex digits, if one does.
  func knownDigestField(_ record: Record, stem: String) -> String? {
    guard !knownDigestDisabled else { return nil }
    let candidates = sha256Field.map { [$0] } ?? [stem + "_sha256", "chunk_hash"]
    return candidates.first { Self.knownSHA256(record, field: $0) != nil }
  }

  static func knownSHA256(_ record: Record, field: String) -> [UInt8]? {
    guard let text = record.value(at: field)?.stringValue, text.utf8.count == 64 else { return nil }
    return [UInt8](hex: text.lowercased())
  }

  /// A known digest the store or the server found wrong, as a sentence about the record's field.
  func refusedDigest(_ error: Error, field sha256Field: String?, file: String) -> Error? {
    guard let sha256Field, ExitStatus.of(error) == .dataError else { return nil }
    let underlying = (error as? BlobStoreError)?.underlying ?? error
    let refused =
      underlying is BlobIntegrityError
      || ["BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest"].contains((underlying as? AWSServiceError)?.code)
    guard refused else { return nil }
    return InputError.invalidField(
      sha256Field, reason: "is not the SHA-256 of \(file), so it was not stored (\(describe(error)))")
  }
}
