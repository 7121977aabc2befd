import CliplineSystem
import Foundation

/// One short runner per kind of body, each returning what it stored for the plan's uploads (in their order), and the
/// server-side copies made from those. As s5cmd's `doUpload`, `doDownload`, `doCopy`: the stores only move bytes.
extension RecordUploader {
  /// A file: every destination at once; a large one waits for the earlier records' large uploads (`order`).
  func uploadFile(_ file: String, plan: UploadPlan, order: Int) throws -> [StoredBlob] {
    let put = { try self.putAll(.file(file), plan: plan, name: file) }
    do {
      return try localFileSize(file) >= largeFileBytes ? largeUploads.withSlot(order: order, put) : put()
    } catch {
      throw refusedDigest(error, field: plan.knownDigestField, file: file) ?? error
    }
  }

  /// Bytes held in memory: like a large file, one record's uploads at a time, the oldest first; server-side copies
  /// overlap the next.
  func uploadMemory(_ bytes: HeldBytes, name: String, plan: UploadPlan, order: Int) throws -> [StoredBlob] {
    try largeUploads.withSlot(order: order) { try putAll(.memory(bytes), plan: plan, name: name) }
  }

  /// A body arriving while it uploads: like a large file, one at a time, the oldest first; written into one upload
  /// stream per destination.
  func uploadStream(
    _ produce: (UploadBodyWriter) throws -> Void, name: String, plan: UploadPlan, order: Int
  ) throws -> [StoredBlob] {
    try largeUploads.withSlot(order: order) {
      let began = Date()
      let streams = try StreamedUploads(
        plan.uploads.map { upload in
          {
            try upload.store.openUpload(
              to: plan.locations[upload.destination], options: plan.options[upload.destination])
          }
        })
      let stored = try streams.run(produce)
      for blob in stored { logUpload(name, blob, since: began) }
      return stored
    }
  }

  /// A file sent while it was written: the rest of its parts, under the plan its uploads began with (its start time
  /// names the expiry the objects were tagged with). Destinations that came out otherwise once the record was whole
  /// are sent the body again from the start.
  func uploadWritten(_ body: WrittenBody, started: GrowingUploads?, plan: UploadPlan, name: String) throws -> (
    UploadPlan, [StoredBlob]
  ) {
    var uploads = started
    if let started, started.plan.locations != plan.locations {
      log?("\(name): its destinations changed while it was written; sending it again")
      started.abort()
      uploads = nil
    }
    let growing = try uploads ?? GrowingUploads(plan: plan, path: body.path, turns: partTurns)
    let began = Date()
    let stored = try growing.finish(body, name: name)
    for blob in stored { logUpload(name, blob, since: began) }
    return (growing.plan, stored)
  }

  /// `body` to every upload of the plan at once; the first failure is thrown.
  private func putAll(_ body: BlobBody, plan: UploadPlan, name: String) throws -> [StoredBlob] {
    let uploads = plan.uploads
    return try ParallelWork.map(count: uploads.count, width: uploads.count) { [self] position in
      let upload = uploads[position]
      let began = Date()
      let stored = try upload.store.put(
        body, to: plan.locations[upload.destination], options: plan.options[upload.destination])
      logUpload(name, stored, since: began)
      return stored
    }.map { try $0.get() }
  }

  /// The plan's server-side copies of what was `uploaded`, at once. In auto mode a copy the service refuses is an
  /// upload of `resend` instead (a streamed body, gone by now, cannot be).
  func copy(_ uploaded: [StoredBlob], plan: UploadPlan, resend: BlobBody?, name: String) throws -> [StoredBlob] {
    let copies = plan.copies
    return try ParallelWork.map(count: copies.count, width: copies.count) { [self] position in
      let (copy, upload) = copies[position]
      let (source, location) = (uploaded[upload], plan.locations[copy.destination])
      let began = Date()
      do {
        let stored = try copy.store.copy(source, to: location, options: plan.options[copy.destination])
        log?(
          String(
            format: "%@ -> %@: server-side copy in %.3f s", source.location.description, location.description,
            Date().timeIntervalSince(began)))
        return stored
      } catch  where copyMode == .auto && Self.uploadInstead(after: error) {
        guard let resend else { throw error }
        log?("\(location): the server-side copy was refused (\(describe(error))); uploading instead")
        let stored = try copy.store.put(resend, to: location, options: plan.options[copy.destination])
        logUpload(name, stored, since: began)
        return stored
      }
    }.map { try $0.get() }
  }

  /// In auto mode, a copy the service will not make (not a throttle, an outage or a permission problem, which
  /// an upload would meet too) is made an upload instead.
  static func uploadInstead(after error: Error) -> Bool {
    if error is CopyTooLarge { return true }
    switch ExitStatus.of(error) {
    case .temporaryFailure, .unavailable, .permissionDenied, .configuration: return false
    default: return !ShutdownSignal.shared.isRequested
    }
  }

  private func logUpload(_ name: String, _ stored: StoredBlob, since began: Date) {
    log?(
      String(
        format: "%@ -> %@: %lld bytes in %.3f s", name, stored.location.description, stored.bytes,
        Date().timeIntervalSince(began)))
  }
}
