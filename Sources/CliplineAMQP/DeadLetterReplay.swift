import CliplineRecords
import CliplineSystem
import Foundation

/// Puts chosen dead letters back on their queue. For each one: publish the copy (context headers off, so the
/// retry count starts again) on a confirm channel, wait for the broker's confirm, and only then ack the dead
/// letter. Interrupted anywhere (SIGTERM, kill -9, a lost connection), the dead letter is still unacked and the
/// broker requeues it: at worst a message is on both queues, never on neither.
public final class DeadLetterReplay {
  static let confirmChannel: UInt16 = 2
  static let checkChannel: UInt16 = 3

  private let connection: AMQPConnection
  private let deadLetterQueue: String
  private let selection: DeadLetterSelection
  /// Where to put them (default: each letter's x-clipline-queue).
  private let target: String?
  private let diagnostics: Diagnostics
  private var publishTag: UInt64 = 0
  private var checkedQueues: Set<String> = []
  /// Say which dead letters would be replayed where, publish and ack nothing: every letter read is given back.
  /// The target queues are still checked (a passive declare only reads).
  public var dryRun = false
  /// With `dryRun`, the letters that would have been replayed.
  public private(set) var replayed = 0
  public private(set) var kept = 0

  public init(
    connection: AMQPConnection, deadLetterQueue: String, selection: DeadLetterSelection, target: String?,
    diagnostics: Diagnostics
  ) {
    self.connection = connection
    self.deadLetterQueue = deadLetterQueue
    self.selection = selection
    self.target = target
    self.diagnostics = diagnostics
  }

  public func run(limit: Int? = nil) throws {
    if !dryRun {
      try connection.openChannel(Self.confirmChannel)
      try connection.enableConfirms(channel: Self.confirmChannel)
    }
    let browser = QueueBrowser(connection: connection, queue: deadLetterQueue)
    defer { try? browser.giveBack() }
    try browser.read(limit: limit) { letter in
      guard selection.selects(letter) else {
        kept += 1
        return false
      }
      guard let queue = target ?? letter.originalQueue else { throw NoReplayTarget(position: letter.position) }
      try checkExists(queue)
      let message = letter.replayMessage(to: queue)
      if !dryRun { try publishConfirmed(message) }
      replayed += 1
      diagnostics.info(
        (dryRun ? "dry run: would replay" : "replayed") + " the dead letter at position \(letter.position)"
          + (letter.messageID.map { " (message id \($0))" } ?? "") + " to \(queue)")
      return !dryRun
    }
    try browser.giveBack()
  }

  /// A missing queue is a sentence and exit 78 before anything is published to it.
  private func checkExists(_ queue: String) throws {
    guard !checkedQueues.contains(queue) else { return }
    try connection.openChannel(Self.checkChannel)
    do {
      try connection.declareQueue(queue, channel: Self.checkChannel, passive: true)
    } catch let error as AMQPError where error.origin == .channelClosed(replyCode: 404) {
      throw AMQPError(
        operation: error.operation,
        message: "the queue \"\(queue)\" does not exist: declare it (amqp-consume --declare), or pass --to QUEUE",
        origin: error.origin)
    }
    checkedQueues.insert(queue)
  }

  private func publishConfirmed(_ message: OutgoingMessage) throws {
    publishTag += 1
    try connection.publish(message, channel: Self.confirmChannel)
    var returned: ReturnedMessage?
    while true {
      guard let event = try connection.nextEvent(timeout: nil) else { continue }
      switch event {
      case .returned(let message): returned = message
      case .confirm(Self.confirmChannel, let tag, let multiple, let acknowledged)
      where tag == publishTag || (multiple && tag > publishTag):
        if let returned {
          throw PublishFailure.returned(
            code: returned.replyCode, text: returned.replyText, exchange: returned.exchange,
            routingKey: returned.routingKey)
        }
        if !acknowledged { throw PublishFailure.nacked }
        return
      default: continue
      }
    }
  }
}

/// A dead letter that does not say where it came from, and no --to.
public struct NoReplayTarget: Error, CustomStringConvertible, ExitStatusProviding {
  public let position: Int
  public var description: String {
    "the dead letter at position \(position) has no x-clipline-queue header: pass --to QUEUE to say where it goes"
  }
  public var exitStatus: ExitStatus { .dataError }
}
