import CliplineRecords
import CliplineSystem
import Foundation

/// A record's uploads of a body while it is written (`RecordUploader.startUploads`): the plan made from what the
/// record says when the body starts, and for each upload of it the parts already on their way (nil for a store that
/// takes the body only whole, the local one).
// Used by one thread at a time: the writer, then whoever finishes or aborts.
public final class GrowingUploads: GrowingUpload, @unchecked Sendable {
  let plan: UploadPlan
  let parts: [FileParts?]

  init(plan: UploadPlan, path: String, turns: PartTurns) throws {
    self.plan = plan
    let turn = turns.nextBody()
    var parts: [FileParts?] = []
    do {
      for upload in plan.uploads {
        guard let store = upload.store as? PartSending else {
          parts.append(nil)
          continue
        }
        parts.append(
          try FileParts(
            to: plan.locations[upload.destination], store: store, options: plan.options[upload.destination],
            path: path, turns: (turns.slots, turn)))
      }
    } catch {
      for started in parts { started?.abort() }
      throw error
    }
    self.parts = parts
  }

  public var rewritableBelow: Int64 { parts.compactMap { $0?.head }.min() ?? .max }

  public func written(upTo offset: Int64) throws {
    for upload in parts { try upload?.written(upTo: offset) }
  }

  public func wrote(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
    for upload in parts { upload?.wrote(bytes, at: offset) }
  }

  public func abort() {
    for upload in parts { upload?.abort() }
  }

  /// Every upload finished at once: each the rest of its parts, or the whole body for a store without parts.
  func finish(_ body: WrittenBody, name: String) throws -> [StoredBlob] {
    let (plan, parts) = (self.plan, self.parts)
    let results = ParallelWork.map(count: parts.count, width: parts.count) { index in
      if let upload = parts[index] { return try upload.finish(body) }
      let destination = plan.uploads[index]
      return try destination.store.put(
        written: body, to: plan.locations[destination.destination], options: plan.options[destination.destination])
    }
    return try results.map { try $0.get() }
  }
}

extension RecordUploader {
  /// The uploads of a body that is starting to be written to `path`, from what `record` says so far; nil when a
  /// destination names a field the record does not have yet (the body then goes whole once written).
  public func startUploads(_ record: Record, writingTo path: String, name: String) throws -> GrowingUploads? {
    let plan: UploadPlan
    do {
      plan = try self.plan(for: record, body: .stream(name: name) { _ in }, stem: "")
    } catch let error as InputError {
      log?("\(name): its destinations are not known yet (\(describe(error))); it goes once written")
      return nil
    }
    return try GrowingUploads(plan: plan, path: path, turns: partTurns)
  }
}

extension BlobStore {
  /// A written body sent whole through a streamed upload: its prefix, then its range of the file.
  func put(written body: WrittenBody, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob {
    try putStreamed(sha256: body.sha256, bytes: body.byteCount, to: location, options: options) { upload in
      try body.prefix.withUnsafeBytes { try upload.write($0) }
      guard let handle = FileHandle(forReadingAtPath: body.path) else { throw MissingLocalFile(path: body.path) }
      defer { try? handle.close() }
      try handle.seek(toOffset: UInt64(body.range.lowerBound))
      var remaining = body.range.count
      while remaining > 0, let data = try handle.read(upToCount: min(remaining, 1 << 20)), !data.isEmpty {
        try data.withUnsafeBytes { try upload.write($0) }
        remaining -= data.count
      }
    }
  }
}
