import CliplineRecords
import CliplineSystem
import Foundation

/// Reads a queue without taking anything from it. basic.get with manual acks, not a consumer: each get returns
/// exactly one message and the run stops at the depth the queue had when it started, so no prefetch overshoots and
/// messages published meanwhile are not read. Every message read stays unacked (invisible to other consumers
/// meanwhile) until `giveBack()` requeues them all at once; if the tool dies, the broker requeues them when the
/// connection goes. Requeued messages keep their place in the queue but come back with redelivered=true (and on a
/// quorum queue each read counts as a delivery towards x-delivery-limit).
public final class QueueBrowser {
  public let connection: AMQPConnection
  public let queue: String
  /// The highest delivery tag read and not taken: `giveBack()` requeues up to it.
  private var lastKeptTag: UInt64 = 0

  public init(connection: AMQPConnection, queue: String) {
    self.connection = connection
    self.queue = queue
  }

  /// Reads up to `limit` messages (nil: all there were at the start), in queue order, handing each to `each`:
  /// when it returns true the message is acked (gone from the queue), else it is kept for `giveBack()`.
  /// Stops early on SIGTERM/SIGINT once `ShutdownSignal` is installed.
  public func read(limit: Int? = nil, _ each: (DeadLetter) throws -> Bool) throws {
    let depth = try connection.declareQueue(queue, passive: true).messages
    let wanted = min(depth, limit ?? .max)
    var position = 0
    while position < wanted, !ShutdownSignal.shared.isRequested, let got = try connection.get(queue: queue) {
      position += 1
      if try each(DeadLetter(position: position, delivery: got.delivery)) {
        try connection.ack(got.delivery.deliveryTag)
      } else {
        lastKeptTag = got.delivery.deliveryTag
      }
    }
  }

  /// Every message read and not taken goes back to the queue, in its place (one basic.nack, multiple, requeue).
  public func giveBack() throws {
    guard lastKeptTag > 0 else { return }
    try connection.reject(lastKeptTag, requeue: true, multiple: true)
    lastKeptTag = 0
  }
}
