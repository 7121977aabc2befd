import Foundation
import XCTest

/// Removes what a test made under `$TMPDIR` (`ScratchDirectory`, `ScratchRemoval.track`) when that test ends, and
/// what was made outside a test when the run ends. It watches XCTest's test cases from the first path it tracks, so
/// a path tracked before any test started waits for the run's end.
///
/// `lock` guards `running`, `ofTheTest` and `ofTheRun`.
public final class ScratchRemoval: NSObject, XCTestObservation, @unchecked Sendable {
  public static let shared: ScratchRemoval = {
    let removal = ScratchRemoval()
    XCTestObservationCenter.shared.addTestObserver(removal)
    return removal
  }()

  private let lock = NSLock()
  private var running = false
  private var ofTheTest: [String] = []
  private var ofTheRun: [String] = []

  /// `path` goes when the test running now ends (when the run ends if none is).
  public func track(_ path: String) {
    lock.withLock {
      if running { ofTheTest.append(path) } else { ofTheRun.append(path) }
    }
  }

  /// `path` goes when the run ends: what tests share (fixtures made once per process).
  public func trackUntilTheRunEnds(_ path: String) {
    lock.withLock { ofTheRun.append(path) }
  }

  public func testCaseWillStart(_ testCase: XCTestCase) {
    lock.withLock { running = true }
  }

  public func testCaseDidFinish(_ testCase: XCTestCase) {
    let paths = lock.withLock {
      running = false
      defer { ofTheTest = [] }
      return ofTheTest
    }
    remove(paths)
  }

  public func testBundleDidFinish(_ testBundle: Bundle) {
    remove(lock.withLock { ofTheTest + ofTheRun })
  }

  private func remove(_ paths: [String]) {
    for path in paths { try? FileManager.default.removeItem(atPath: path) }
  }
}
