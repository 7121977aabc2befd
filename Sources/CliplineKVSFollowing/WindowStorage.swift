import CliplineBlobStores
import CliplineCrypto
import CliplineMedia
import CliplineRecords
import CliplineSystem
import Foundation

/// Where a window goes while it arrives: the one seam between following and storing, so the upload can change (a
/// part-by-part upload while the window is cut) without the follower knowing.
public protocol WindowStorage: AnyObject {
  /// Starts storing the window `record` describes (its fields fill the destinations' templates); `name` is the
  /// file name the window would have.
  func open(_ record: Record, name: String) throws -> WindowSink
}

/// One window on its way into storage.
public protocol WindowSink: AnyObject {
  /// The next bytes of the file, in order, each final.
  func write(_ bytes: UnsafeRawBufferPointer) throws
  /// The file ended (`written`: its size and SHA-256); waits until it is stored. Returns `record` with the fields
  /// storing it adds (each destination's URL and `_etag`, `clip_bytes`, `clip_sha256`; or `clip_path`).
  func finish(_ written: WrittenFile) throws -> Record
  /// Nothing is stored: an upload is aborted, a file removed.
  func abandon()
}

/// `--work-dir`: each window written to `DIR/{camera_id}/{start_time}.mp4` (as `kvs-clip` names its clips), under a
/// temporary name until it is whole.
public final class WindowFileStorage: WindowStorage {
  private let directory: String

  public init(directory: String) { self.directory = directory }

  public func open(_ record: Record, name: String) throws -> WindowSink {
    let camera = try record.requireString("camera_id")
    let folder = (directory as NSString).appendingPathComponent(camera)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return try WindowFile(path: (folder as NSString).appendingPathComponent(name), record: record)
  }
}

final class WindowFile: WindowSink {
  private let file: AtomicFile
  private let record: Record
  private let handle: FileHandle
  private var done = false

  init(path: String, record: Record) throws {
    file = try AtomicFile(destination: path)
    self.record = record
    handle = try file.create()
  }

  deinit { if !done { abandon() } }

  func write(_ bytes: UnsafeRawBufferPointer) throws { try handle.write(contentsOf: Data(bytes)) }

  func finish(_ written: WrittenFile) throws -> Record {
    try handle.close()
    try file.commit()
    done = true
    var stored = record
    stored["clip_path"] = .string(file.destination)
    stored["clip_bytes"] = .integer(written.bytes)
    stored["clip_sha256"] = .string(written.sha256.hexString)
    return stored
  }

  func abandon() {
    done = true
    try? handle.close()
    file.discard()
  }
}
