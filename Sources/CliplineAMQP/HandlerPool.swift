import CliplineRecords
import CliplineSystem
import Foundation

/// The handlers of one consumer: up to `concurrency` running, each waited for on a thread of the pool, the rest
/// waiting in delivery order. A finished handler leaves its outcome here and wakes the consumer's thread, which owns
/// the connection and settles it. Not Sendable: only the consumer's thread calls it; the pool's threads reach
/// nothing of it but the `inbox`.
final class HandlerPool {
  struct Completion: Sendable {
    let generation: Int
    let delivery: Delivery
    let started: Date
    let decision: HandlingDecision
    let exitCode: Int32
    let errorText: String
  }

  private struct RunningJob {
    let process: HandlerProcess
    let started: Date
  }

  private let command: [String]
  let concurrency: Int
  private let onFailure: String?
  private let queue: String
  private let settings: ConsumerSettings
  private let diagnostics: Diagnostics
  private let workDirectories: WorkDirectoryLedger
  private let telemetry: ConsumerTelemetry?

  /// One thread per running handler; the backlog lets a finished handler's thread return while its successor starts.
  private let threads: ThreadPool
  /// One thread per running handler for its stderr relay (the job's own thread waits for the handler's exit).
  private let relays: ThreadPool
  /// How many run at once: `concurrency`, lowered when a handler cannot start for want of our own resources.
  private(set) var limit: Int
  private var running: [UInt64: RunningJob] = [:]
  private(set) var waiting: [Delivery] = []
  private let inbox: CompletionInbox

  init(
    command: [String], concurrency: Int, onFailure: String?, queue: String, settings: ConsumerSettings,
    diagnostics: Diagnostics, wakeUp: WakeUpPipe, workDirectories: WorkDirectoryLedger,
    telemetry: ConsumerTelemetry? = nil
  ) {
    self.telemetry = telemetry
    self.command = command
    self.concurrency = concurrency
    self.onFailure = onFailure
    self.queue = queue
    self.settings = settings
    self.diagnostics = diagnostics
    self.workDirectories = workDirectories
    inbox = CompletionInbox(wakeUp: wakeUp)
    threads = ThreadPool(width: concurrency, backlog: concurrency)
    relays = ThreadPool(width: concurrency, backlog: concurrency)
    limit = concurrency
    Self.openDispatchTimers()
  }

  /// libdispatch opens its descriptors (an epoll, an eventfd, a timerfd) for its first timer, and traps when it
  /// cannot: let it have them now, while descriptors are free, rather than when a handler's timer is set with every
  /// descriptor taken (`ulimit -n`). The timer fires in a millisecond; waiting for it leaves them open.
  private static func openDispatchTimers() {
    let fired = DispatchSemaphore(value: 0)
    DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(1)) { fired.signal() }
    fired.wait()
  }

  var runningCount: Int { running.count }
  var isIdle: Bool { running.isEmpty && waiting.isEmpty }
  /// When the longest-running handler started (for the metrics' stuck-handler alert).
  var oldestStart: Date? { running.values.map(\.started).min() }

  /// Starts the handler now, or queues the delivery behind the running ones.
  func take(_ delivery: Delivery, generation: Int) {
    if running.count < limit { start(delivery, generation: generation) } else { waiting.append(delivery) }
  }

  func startWaiting(generation: Int) {
    while running.count < limit, !waiting.isEmpty { start(waiting.removeFirst(), generation: generation) }
  }

  /// The deliveries not started yet, handed back (at shutdown or on a lost connection).
  func removeWaiting() -> [Delivery] {
    defer { waiting.removeAll() }
    return waiting
  }

  /// A handler could not start for want of descriptors, memory or processes: run no more than are running now
  /// (at least one) from now on. Returns the new limit.
  func lowerLimit() -> Int {
    limit = max(1, min(limit, running.count))
    return limit
  }

  /// Stops every running handler's process group; their outcomes come back as `.requeue`.
  func stopAll() { for job in running.values { job.process.stop(.shutdown) } }

  /// The outcomes that arrived since the last call; their handlers no longer count as running.
  func takeCompletions() -> [Completion] {
    let taken = inbox.takeAll()
    for completion in taken { running.removeValue(forKey: completion.delivery.deliveryTag) }
    return taken
  }

  private func start(_ delivery: Delivery, generation: Int) {
    let timeout = settings.effectiveHandlerTimeout
    let job = HandlerJob(
      delivery: delivery, command: command, queue: queue, timeout: timeout,
      stoppedForConsumerTimeout: timeout.map { $0 < settings.handlerTimeout ?? .infinity } ?? false,
      policy: settings.policy, onFailure: onFailure, diagnostics: diagnostics, workDirectories: workDirectories,
      telemetry: telemetry, relays: relays)
    running[delivery.deliveryTag] = RunningJob(process: job.process, started: job.started)
    threads.submit { [inbox] in
      let outcome = job.run()
      inbox.put(
        Completion(
          generation: generation, delivery: delivery, started: job.started, decision: outcome.decision,
          exitCode: outcome.exitCode, errorText: outcome.errorText))
    }
  }

  /// Where the pool's threads leave finished handlers' outcomes for the consumer's thread, which they wake.
  private final class CompletionInbox: @unchecked Sendable {  // `lock` guards `completions`; `wakeUp` is Sendable
    private let lock = NSLock()
    private var completions: [Completion] = []
    private let wakeUp: WakeUpPipe

    init(wakeUp: WakeUpPipe) { self.wakeUp = wakeUp }

    func put(_ completion: Completion) {
      lock.withLock { completions.append(completion) }
      wakeUp.signal()
    }

    func takeAll() -> [Completion] {
      lock.withLock {
        defer { completions.removeAll() }
        return completions
      }
    }
  }
}
