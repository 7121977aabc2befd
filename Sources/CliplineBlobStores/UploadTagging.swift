import CliplineSystem
import Foundation

extension RecordUploader {
  /// The plan's server-side copies of what was `uploaded`, and at the same time the digest tags an upload left to
  /// its caller (S3 multipart: the SHA-256 known once complete): the copy names the destination's own tags and does
  /// not need the source's, so the two round trips overlap. An upload whose tags could not be set is removed with
  /// its copies, as the store removes an object it could not tag itself.
  func copyAndTag(_ uploaded: [StoredBlob], plan: UploadPlan, resend: BlobBody?, name: String) throws -> (
    uploaded: [StoredBlob], copied: [StoredBlob]
  ) {
    let owed = uploaded.indices.filter { uploaded[$0].digestTags != nil }
    guard !owed.isEmpty else { return (uploaded, try copy(uploaded, plan: plan, resend: resend, name: name)) }
    let results = ParallelWork.map(count: 2, width: 2) { [self] job -> [StoredBlob] in
      if job == 0 { return try copy(uploaded, plan: plan, resend: resend, name: name) }
      try setDigestTags(of: owed.map { uploaded[$0] }, plan: plan)
      return []
    }
    var tagged = uploaded
    for index in owed { tagged[index].digestTags = nil }
    do {
      _ = try results[1].get()
    } catch {
      let copies = (try? results[0].get()) ?? []
      for blob in owed.map({ uploaded[$0] }) + copies {
        try? stores.store(for: blob.location).delete(blob.location)
      }
      throw error
    }
    return (tagged, try results[0].get())
  }

  private func setDigestTags(of blobs: [StoredBlob], plan: UploadPlan) throws {
    for blob in blobs {
      guard let tags = blob.digestTags, let store = try stores.store(for: blob.location) as? CloudBlobStore else {
        continue
      }
      try namingUploadFailure(blob.location) { try store.setTags(tags, of: blob.location) }
    }
  }
}
