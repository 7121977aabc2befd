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

/// `--to`: each window streamed into the destinations as it arrives, through `RecordUploader` (the upload path
/// `kvs-clip --to` uses), on a thread of its own so the next window can start while this one's tail is sent.
public final class StreamedWindowStorage: WindowStorage {
  private let uploader: RecordUploader
  private let pool = ThreadPool(width: 2)

  /// `uploader` is this stream's own: a shared one would let one camera's window wait for another's.
  public init(uploader: RecordUploader) { self.uploader = uploader }

  public func open(_ record: Record, name: String) throws -> WindowSink {
    let handoff = ByteHandoff(limit: 16 << 20)
    let outcome = UploadOutcome()
    pool.submit { [uploader] in
      do {
        let stored = try uploader.upload(
          record,
          body: .stream(name: name) { writer in
            while let bytes = try handoff.next() { try bytes.withUnsafeBytes { try writer.write($0) } }
          }, stem: "clip")
        outcome.set(.success(stored))
      } catch {
        handoff.fail(error)
        outcome.set(.failure(error))
      }
    }
    return StreamedWindowSink(handoff: handoff, outcome: outcome)
  }
}

final class StreamedWindowSink: WindowSink {
  private let handoff: ByteHandoff
  private let outcome: UploadOutcome

  init(handoff: ByteHandoff, outcome: UploadOutcome) {
    self.handoff = handoff
    self.outcome = outcome
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws { try handoff.append(bytes) }

  func finish(_ written: WrittenFile) throws -> Record {
    handoff.close()
    return try outcome.wait().get()
  }

  func abandon() {
    handoff.fail(StoppedBySignal("before the window was complete; nothing of it was stored"))
    _ = outcome.wait()
  }
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

/// Bytes handed from the thread that makes them to the thread that sends them, at most `limit` waiting (the maker
/// waits beyond that). `condition` guards every `var`.
final class ByteHandoff: @unchecked Sendable {
  private let condition = NSCondition()
  private let limit: Int
  private var pieces: [[UInt8]] = []
  private var waiting = 0
  private var closed = false
  private var failure: Error?

  init(limit: Int) { self.limit = limit }

  func append(_ bytes: UnsafeRawBufferPointer) throws {
    try condition.withLock {
      while waiting >= limit && failure == nil { condition.wait() }
      if let failure { throw failure }
      pieces.append(Array(bytes))
      waiting += bytes.count
      condition.broadcast()
    }
  }

  /// The next bytes; nil once closed and drained; throws once failed.
  func next() throws -> [UInt8]? {
    try condition.withLock {
      while pieces.isEmpty && !closed && failure == nil { condition.wait() }
      if let failure { throw failure }
      guard !pieces.isEmpty else { return nil }
      let piece = pieces.removeFirst()
      waiting -= piece.count
      condition.broadcast()
      return piece
    }
  }

  func close() {
    condition.withLock {
      closed = true
      condition.broadcast()
    }
  }

  func fail(_ error: Error) {
    condition.withLock {
      if failure == nil { failure = error }
      condition.broadcast()
    }
  }
}

/// The result of an upload running on another thread. `condition` guards `result`.
final class UploadOutcome: @unchecked Sendable {
  private let condition = NSCondition()
  private var result: Result<Record, Error>?

  func set(_ value: Result<Record, Error>) {
    condition.withLock {
      result = value
      condition.broadcast()
    }
  }

  func wait() -> Result<Record, Error> {
    condition.withLock {
      while result == nil { condition.wait() }
      return result!
    }
  }
}
