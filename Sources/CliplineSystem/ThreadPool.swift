import Foundation

/// A fixed number of threads that run blocking jobs (network calls, C libraries, hashing): the one thread owner of
/// the tools. `DispatchQueue.concurrentPerform` would cap the width at the core count, which starves I/O-bound work
/// on two cores, and a thread per job makes memory grow with the input.
///
/// `submit` blocks while `width + backlog` jobs are running or waiting, so a producer never runs far ahead and
/// memory stays bounded; jobs start in submission order. The threads end when the pool is released, once the queued jobs have run.
public final class ThreadPool: Sendable {
  public let width: Int
  private let workers: Workers

  public init(width: Int, backlog: Int = 0, stackSize: Int = 1 << 20) {
    self.width = max(1, width)
    workers = Workers(capacity: self.width + max(0, backlog))
    for _ in 0..<self.width {
      let thread = Thread { [workers] in workers.work() }
      thread.stackSize = stackSize
      thread.start()
    }
  }

  deinit { workers.stop() }

  /// Queues `job`, first waiting while the pool is full.
  public func submit(_ job: @escaping @Sendable () -> Void) { workers.submit(job) }

  /// Waits until every job submitted so far has finished.
  public func waitUntilIdle() { workers.waitUntilIdle() }

  /// The threads' shared queue; the threads hold it (not the pool), so releasing the pool stops them.
  /// `condition` guards every stored property; the jobs it queues are `@Sendable`, so nothing unchecked crosses here.
  private final class Workers: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var queue: [@Sendable () -> Void] = []
    private var running = 0
    private var stopping = false

    init(capacity: Int) { self.capacity = capacity }

    func submit(_ job: @escaping @Sendable () -> Void) {
      condition.withLock {
        while queue.count + running >= capacity { condition.wait() }
        queue.append(job)
        condition.broadcast()
      }
    }

    func waitUntilIdle() {
      condition.withLock {
        while !queue.isEmpty || running > 0 { condition.wait() }
      }
    }

    func stop() {
      condition.withLock {
        stopping = true
        condition.broadcast()
      }
    }

    func work() {
      while let job = next() {
        job()
        condition.withLock {
          running -= 1
          condition.broadcast()
        }
      }
    }

    private func next() -> (@Sendable () -> Void)? {
      condition.withLock {
        while queue.isEmpty && !stopping { condition.wait() }
        guard !queue.isEmpty else { return nil }
        running += 1
        condition.broadcast()
        return queue.removeFirst()
      }
    }
  }
}
