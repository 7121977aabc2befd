import CliplineSystem
import Foundation

/// The end of each segment's file — moving an MP4's index to the front and hashing the file in its final order, one
/// pass over every byte — run on a thread of its own, so the next segment is cut meanwhile (two cores: the hash need
/// not wait for the mux). The trailer is written on the cutting thread first (the muxer is not shared); the segments
/// are reported in order, each only once its size and SHA-256 are known, on the cutting thread. At most `limit`
/// segments wait to be finished: the cut waits for the oldest beyond that, so the files in flight stay bounded.
final class SegmentFinishing {
  /// A segment whose trailer is written and whose file pass runs (or waits) on the finishing thread.
  private final class Pending: @unchecked Sendable {
    let index: Int
    let startSeconds: Double
    let endSeconds: Double
    /// Touched only by the finishing thread until `done`, then only by the cutting thread.
    let output: MediaOutput
    private let condition = NSCondition()
    private var outcome: Result<WrittenFile, Error>?

    init(index: Int, startSeconds: Double, endSeconds: Double, output: MediaOutput) {
      self.index = index
      self.startSeconds = startSeconds
      self.endSeconds = endSeconds
      self.output = output
    }

    func run() {
      let result = Result { try output.finishFile() }
      condition.withLock {
        outcome = result
        condition.broadcast()
      }
    }

    var isDone: Bool { condition.withLock { outcome != nil } }

    func wait() -> Result<WrittenFile, Error> {
      condition.withLock {
        while true {
          if let outcome { return outcome }
          condition.wait()
        }
      }
    }
  }

  private let limit: Int
  private let onFinished: (FinishedSegment) throws -> Void
  private var pending: [Pending] = []
  /// Made with the first segment, so a run that fails before it starts no thread.
  private var pool: ThreadPool?
  private(set) var reportedCount = 0

  init(limit: Int = 2, onFinished: @escaping (FinishedSegment) throws -> Void) {
    self.limit = max(1, limit)
    self.onFinished = onFinished
  }

  /// Hands a segment whose trailer is written to the finishing thread, first reporting (waiting for) the oldest
  /// when `limit` are already in flight.
  func finish(_ output: MediaOutput, index: Int, startSeconds: Double, endSeconds: Double) throws {
    while pending.count >= limit { try reportOldest() }
    let segment = Pending(index: index, startSeconds: startSeconds, endSeconds: endSeconds, output: output)
    pending.append(segment)
    let pool = self.pool ?? ThreadPool(width: 1, backlog: limit)
    self.pool = pool
    pool.submit { segment.run() }
  }

  /// Reports, in order, the segments already finished; waits for none.
  func reportReady() throws {
    while let first = pending.first, first.isDone { try reportOldest() }
  }

  /// Waits for every segment in flight and reports them in order.
  func reportAll() throws {
    while !pending.isEmpty { try reportOldest() }
  }

  /// A failure: waits for the passes in flight (they hold the files) and deletes their files, never reported.
  func abandon() {
    for segment in pending {
      if case .success = segment.wait() {
        segment.output.result.abandon()
        unlink(segment.output.path)
      } else {
        segment.output.discard()
      }
    }
    pending = []
  }

  private func reportOldest() throws {
    let segment = pending.removeFirst()
    let written: WrittenFile
    switch segment.wait() {
    case .success(let file): written = file
    case .failure(let error):
      segment.output.discard()
      throw error
    }
    reportedCount += 1
    try onFinished(
      FinishedSegment(
        index: segment.index, output: segment.output.result, startSeconds: segment.startSeconds,
        endSeconds: segment.endSeconds, bytes: written.bytes, sha256: written.sha256))
  }
}
