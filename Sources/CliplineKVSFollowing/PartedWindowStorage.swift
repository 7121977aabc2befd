import CliplineBlobStores
import CliplineMedia
import CliplineRecords
import CliplineSystem
import Foundation

/// `--to`: each window written to a file in `directory` as it arrives and sent from there part by part while it
/// grows (S3 multipart parts, Azure blocks: `RecordUploader.startUploads`, the mechanism `chunk --to` uses), so only
/// its last part and its first are left to send when it closes; the file is removed once stored. A fragmented MP4 is
/// only ever appended to, so no part is rewritten. Memory: the parts in flight, not the window.
public final class PartedWindowStorage: WindowStorage {
  private let uploader: RecordUploader
  private let directory: String

  /// `uploader` is this stream's own: a shared one would let one camera's window wait for another's.
  public init(uploader: RecordUploader, directory: String) {
    self.uploader = uploader
    self.directory = directory
  }

  public func open(_ record: Record, name: String) throws -> WindowSink {
    let camera = try record.requireString("camera_id")
    // The directory is this process's own (kvs-follow's windowDirectory); one file per stream in it.
    let file = "\(camera)-\(name)".replacingOccurrences(of: "/", with: "_")
    return try PartedWindowSink(
      uploader: uploader, record: record, name: name, path: (directory as NSString).appendingPathComponent(file))
  }
}

final class PartedWindowSink: WindowSink {
  private let uploader: RecordUploader
  private let record: Record
  private let name: String
  private let path: String
  private let handle: FileHandle
  private let started: GrowingUploads?
  private var offset: Int64 = 0
  private var done = false

  init(uploader: RecordUploader, record: Record, name: String, path: String) throws {
    self.uploader = uploader
    self.record = record
    self.name = name
    self.path = path
    handle = try LocalFile.create(path, mode: 0o600)
    do {
      started = try uploader.startUploads(record, writingTo: path, name: name)
    } catch {
      try? handle.close()
      unlink(path)
      throw error
    }
  }

  deinit { if !done { abandon() } }

  func write(_ bytes: UnsafeRawBufferPointer) throws {
    do {
      try FileDescriptorIO.writeAll(handle.fileDescriptor, bytes)
    } catch let failure as SystemCallError {
      throw FileSystemError("write", path: path, errno: failure.code)
    }
    // The parts' checksums come from these bytes, so a part is read from the file only to be sent.
    started?.wrote(bytes, at: offset)
    offset += Int64(bytes.count)
    try started?.written(upTo: offset)
  }

  func finish(_ written: WrittenFile) throws -> Record {
    done = true
    defer { unlink(path) }
    do {
      try handle.close()
      let body = WrittenBody(path: path, prefix: [], range: 0..<offset, sha256: written.sha256)
      return try uploader.upload(record, body: .written(name: name, body: body, started: started), stem: "clip")
    } catch {
      started?.abort()
      throw error
    }
  }

  func abandon() {
    done = true
    started?.abort()
    try? handle.close()
    unlink(path)
  }
}
