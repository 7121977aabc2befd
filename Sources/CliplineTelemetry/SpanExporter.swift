import CliplineSystem
import Foundation

/// Spans to an OTLP/HTTP collector, off the job's path: `record` puts a span in a bounded queue and returns; one
/// thread of its own sends them in batches (up to 512, or what a second gathered). A collector that is down or slow
/// costs that thread's time only: a batch it could not send is dropped and counted, never retried into a backlog,
/// and a full queue drops new spans the same way.
///
/// `condition` guards `queue`, `sending`, `flushing` and `dropped`; the rest are `let`s.
public final class SpanExporter: @unchecked Sendable {
  static let largestQueue = 2048
  static let largestBatch = 512
  /// How long one batch may take to send.
  static let sendDeadline = 5.0

  private let post: PlainHTTPPost
  private let resource: [String: String]
  private let headers: [(String, String)]
  private let onDrop: @Sendable (Int, String?) -> Void
  private let condition = NSCondition()
  private var queue: [SpanRecord] = []
  private var sending = false
  private var flushing = false
  private var dropped = 0
  private let thread = ThreadPool(width: 1)

  /// `onDrop` hears of every span dropped (for the metrics), with the reason the first time a send fails.
  init(
    post: PlainHTTPPost, resource: [String: String], headers: [(String, String)],
    onDrop: @escaping @Sendable (Int, String?) -> Void
  ) {
    self.post = post
    self.resource = resource
    self.headers = headers
    self.onDrop = onDrop
    thread.submit { [self] in sendForever() }
  }

  var droppedCount: Int { condition.withLock { dropped } }

  public func record(_ span: SpanRecord) {
    let full = condition.withLock {
      guard queue.count < Self.largestQueue else { return true }
      queue.append(span)
      // The sender sleeps while the queue is empty: wake it for the first span (it then gathers for a second).
      if queue.count == 1 || queue.count >= Self.largestBatch { condition.broadcast() }
      return false
    }
    if full { drop(1, reason: nil) }
  }

  /// Waits until every span recorded so far was sent (or dropped), for at most `timeout` seconds.
  public func flush(timeout: Double) {
    let end = Date().addingTimeInterval(timeout)
    condition.withLock {
      flushing = true
      condition.broadcast()
      while !queue.isEmpty || sending {
        if !condition.wait(until: end) { break }
      }
      flushing = false
    }
  }

  private func sendForever() {
    while true {
      let batch: [SpanRecord] = condition.withLock {
        while queue.isEmpty { condition.wait() }
        // Gather for up to a second, unless a batch is full or someone is waiting for the flush.
        if queue.count < Self.largestBatch && !flushing { _ = condition.wait(until: Date().addingTimeInterval(1)) }
        let taken = Array(queue.prefix(Self.largestBatch))
        queue.removeFirst(taken.count)
        sending = true
        return taken
      }
      send(batch)
      condition.withLock {
        sending = false
        condition.broadcast()
      }
    }
  }

  private func send(_ batch: [SpanRecord]) {
    let body = OTLPEncoding.request(batch, resource: resource)
    do {
      let status = try post.send(
        body, contentType: "application/x-protobuf", headers: headers, deadline: Self.sendDeadline)
      if !(200..<300).contains(status) { drop(batch.count, reason: "the collector answered \(status)") }
    } catch {
      drop(batch.count, reason: "\(error)")
    }
  }

  private func drop(_ count: Int, reason: String?) {
    let first = condition.withLock {
      dropped += count
      return dropped == count
    }
    onDrop(count, first ? reason : nil)
  }
}
