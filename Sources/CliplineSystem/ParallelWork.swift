import Foundation

/// Runs `count` blocking jobs (network calls, C libraries) on at most `width` threads of a `ThreadPool` and waits
/// for all.
/// Returns each job's error (nil for success), by index; with `stopOnFirstError`, jobs not yet begun are skipped
/// once one fails (their slot holds `ParallelWork.Skipped`).
public enum ParallelWork {
  public struct Skipped: Error {}

  @discardableResult
  public static func run(
    count: Int, width: Int, stopOnFirstError: Bool = false, _ job: @escaping @Sendable (Int) throws -> Void
  ) -> [Error?] {
    guard count > 0 else { return [] }
    let state = State(count: count)
    let threads = max(1, min(width, count))
    if threads == 1 {
      for index in 0..<count {
        if stopOnFirstError, state.failed {
          state.record(index, Skipped())
          continue
        }
        do { try job(index) } catch { state.record(index, error) }
      }
      return state.errors
    }
    let pool = ThreadPool(width: threads)
    for _ in 0..<threads {
      pool.submit {
        while let index = state.next() {
          if stopOnFirstError, state.failed {
            state.record(index, Skipped())
            continue
          }
          do { try job(index) } catch { state.record(index, error) }
        }
      }
    }
    pool.waitUntilIdle()
    return state.errors
  }

  /// The first error `run` returned that is not a skipped job's.
  public static func firstFailure(_ errors: [Error?]) -> Error? {
    errors.lazy.compactMap { $0 }.first { !($0 is Skipped) }
  }

  /// Runs `count` jobs as `run` does, and returns each one's value or error, by index.
  public static func map<Value: Sendable>(
    count: Int, width: Int, stopOnFirstError: Bool = false, _ job: @escaping @Sendable (Int) throws -> Value
  ) -> [Result<Value, Error>] {
    let values = Values<Value>(count: count)
    let errors = run(count: count, width: width, stopOnFirstError: stopOnFirstError) { values.set($0, try job($0)) }
    return zip(values.all, errors).map { value, error in
      if let value { return .success(value) }
      return .failure(error ?? Skipped())
    }
  }

  /// The jobs' values. `lock` guards `stored`; `all` is read once `run` has joined every job.
  private final class Values<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Value?]

    init(count: Int) { stored = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) { lock.withLock { stored[index] = value } }
    var all: [Value?] { lock.withLock { stored } }
  }

  /// `lock` guards `cursor`, `errors` and `anyFailed`; `errors` is read unlocked only by `run`, after the pool has
  /// joined every job (`waitUntilIdle`).
  private final class State: @unchecked Sendable {
    private let lock = NSLock()
    private var cursor = 0
    private let count: Int
    private(set) var errors: [Error?]
    private var anyFailed = false

    init(count: Int) {
      self.count = count
      errors = Array(repeating: nil, count: count)
    }

    func next() -> Int? {
      lock.withLock {
        guard cursor < count else { return nil }
        defer { cursor += 1 }
        return cursor
      }
    }

    func record(_ index: Int, _ error: Error) {
      lock.withLock {
        errors[index] = error
        if !(error is Skipped) { anyFailed = true }
      }
    }

    var failed: Bool { lock.withLock { anyFailed } }
  }
}
