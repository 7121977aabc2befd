import CliplineSystem
import Foundation

/// Like `RecordLoop`, but up to `jobs` records are handled at once while output stays in input order: each
/// record's result (records to write, or an error to report with its line) is released as soon as every
/// earlier record's was. Memory stays bounded: at most `jobs` records are in flight or waiting.
public struct OrderedRecordLoop {
  public let reader: RecordReader
  public let diagnostics: Diagnostics
  public let jobs: Int

  public init(reader: RecordReader = RecordReader(), diagnostics: Diagnostics, jobs: Int) {
    self.reader = reader
    self.diagnostics = diagnostics
    self.jobs = max(1, jobs)
  }

  /// `handle` returns the records to write for one input record; `emit` writes them (in order).
  @discardableResult
  public func run(
    _ handle: @escaping @Sendable (_ record: Record, _ line: Int) throws -> [Record],
    emit: @escaping (Record) throws -> Void
  ) throws -> Int {
    let state = OrderState(diagnostics: diagnostics, emit: emit)
    let pool = ThreadPool(width: jobs)
    var total = 0
    for input in reader {
      if state.outputStopped || ShutdownSignal.shared.isRequested { break }
      let sequence = total
      total += 1
      pool.submit {
        let outcome: Result<[Record], Error>
        let record = try? input.record.get()
        do {
          outcome = .success(try RecordIDs.whileHandling(record) { try handle(try input.record.get(), input.number) })
        } catch {
          outcome = .failure(error)
        }
        // A failure is said with its record's ids; a success needs nothing of it.
        state.finish(sequence, line: input.number, record: outcome.isFailure ? record : nil, outcome)
      }
    }
    pool.waitUntilIdle()
    if let readError = reader.readError { throw readError }
    if state.outputClosed { throw OutputClosed() }
    if ShutdownSignal.shared.isRequested, state.failedCount == 0 {
      throw StoppedBySignal.beforeTheInputEnded(handled: total)
    }
    if let first = state.firstFailure {
      throw RecordsFailed(failedRecords: state.failedCount, of: total, exitStatus: first)
    }
    return total
  }

  /// `lock` guards `finished`, `firstFailure`, `failedCount`, `closed` and `writeFailed`, and every call of `emit`
  /// (not Sendable: it runs on whichever pool thread releases a record, one at a time, in order). `run` reads
  /// `firstFailure` and `failedCount` unlocked only after the pool has joined every job.
  private final class OrderState: @unchecked Sendable {
    private let lock = NSLock()
    private var finished = InSequence<(line: Int, record: Record?, outcome: Result<[Record], Error>)>()
    private let diagnostics: Diagnostics
    private let emit: (Record) throws -> Void
    private(set) var firstFailure: ExitStatus?
    private(set) var failedCount = 0
    /// stdout was closed (EPIPE): the run ends as `OutputClosed`.
    private var closed = false
    /// A write failed otherwise (ENOSPC, EIO): that record and every later one count as failed.
    private var writeFailed = false

    init(diagnostics: Diagnostics, emit: @escaping (Record) throws -> Void) {
      self.diagnostics = diagnostics
      self.emit = emit
    }

    var outputClosed: Bool { lock.withLock { closed } }
    var outputStopped: Bool { lock.withLock { closed || writeFailed } }

    func finish(_ sequence: Int, line: Int, record: Record?, _ outcome: Result<[Record], Error>) {
      lock.withLock {
        for (line, record, ready) in finished.finish(sequence, (line, record, outcome)) {
          switch ready {
          case .success(let records):
            guard !closed else { continue }
            // Its work is done but its record is lost: a failure, never a success that nobody downstream sees.
            if writeFailed {
              failedCount += 1
              continue
            }
            do {
              for record in records { try emit(record) }
            } catch is OutputClosed {
              closed = true
            } catch {
              writeFailed = true
              diagnostics.report(error as? RecordNotWritten ?? RecordNotWritten(underlying: error), line: line)
              firstFailure = firstFailure ?? ExitStatus.of(error)
              failedCount += 1
            }
          case .failure(let error):
            failedCount += 1
            diagnostics.report(error, line: line, record: record)
            firstFailure = firstFailure ?? ExitStatus.of(error)
          }
        }
      }
    }
  }
}

extension Result {
  fileprivate var isFailure: Bool {
    if case .failure = self { return true }
    return false
  }
}
