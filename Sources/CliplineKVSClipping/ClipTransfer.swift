import CliplineKVS
import CliplineSystem
import Foundation

/// One task's GetClip calls: to a file, or streamed to a consumer with the checks a file would get from the probe
/// (something arrived, and it is an MP4).
struct ClipRequest {
  let task: ClipTask
  let stream: KVSStreamReference
  let kind: KVSTimestampKind
  let client: KVSClient

  func download(_ piece: ClipPiece, to path: String) throws {
    try client.getClip(stream, kind: kind, start: piece.start, end: piece.end, to: path)
  }

  /// GetClip's body into `consume` as it arrives, its Content-Length (when the answer has one) to `announce`
  /// first. A body that is empty or does not open with an ISO BMFF `ftyp` box is refused (65) before the upload
  /// it feeds completes, so nothing is stored for it.
  func stream(
    _ piece: ClipPiece, announcing announce: @escaping (Int64) throws -> Void,
    into consume: @escaping (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    var head: [UInt8] = []
    let range = "\(task.cameraId) \(task.startTime) … \(task.endTime)"
    let received = try client.getClip(
      stream, kind: kind, start: piece.start, end: piece.end, announcing: announce
    ) { bytes in
      if head.count < 8 {
        head += bytes.prefix(8 - head.count)
        if head.count == 8, Array(head[4..<8]) != Array("ftyp".utf8) {
          throw UnreadableClip("GetClip returned no readable media for \(range): it does not start as an MP4")
        }
      }
      try consume(bytes)
    }
    guard received >= 8 else { throw UnreadableClip("GetClip returned an empty clip for \(range)") }
  }
}

/// The clip written to the work directory while it streams to storage (`--keep-local`, `--thumbnail`): there whole
/// once `commit()` ran, removed if the transfer failed.
final class LocalCopy {
  let path: String
  private let handle: FileHandle
  private var committed = false

  init(directory: String, path: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    self.path = path
    self.handle = try LocalFile.create(path)
  }

  deinit {
    try? handle.close()
    if !committed { unlink(path) }
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws { try handle.write(contentsOf: Data(bytes)) }

  func commit() throws {
    try handle.synchronize()
    committed = true
  }
}
