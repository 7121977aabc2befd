import CliplineSources
import CliplineSystem
import Foundation
import XCTest

/// The bounded window of memory a ranged download fills while readers go through it: every byte read is the
/// object's byte, whatever order pieces arrive in, however far a reader jumps, and however few buffers there are.
final class PieceWindowTests: XCTestCase {
  /// 1,000 bytes whose value is their offset mod 251, so a byte read at the wrong offset shows.
  private static let object = (0..<1_000).map { UInt8($0 % 251) }

  /// `count` bytes at `offset` (fewer only at the end), however many reads that takes: a read returns what has
  /// arrived, and the fetchers here fill a piece in two halves.
  private static func readFully(_ window: PieceWindow, at offset: Int64, count: Int) throws -> [UInt8] {
    var bytes: [UInt8] = []
    while bytes.count < count {
      let more = try read(window, at: offset + Int64(bytes.count), count: count - bytes.count)
      if more.isEmpty { break }
      bytes += more
    }
    return bytes
  }

  private static func read(_ window: PieceWindow, at offset: Int64, count: Int, reader: Int = 0) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    let got = try bytes.withUnsafeMutableBytes {
      try window.read(at: offset, into: $0.baseAddress!, count: count, reader: reader)
    }
    return Array(bytes.prefix(got))
  }

  func testASequentialReadGetsEveryByteFromFetchersFillingPiecesInPieces() throws {
    let window = PieceWindow(name: "test", size: 1_000, pieceSize: 64, lookahead: 3)
    let fetchers = Fetchers(window, count: 3, object: Self.object)
    defer { fetchers.stop() }
    var seen: [UInt8] = []
    while seen.count < 1_000 {
      let bytes = try Self.read(window, at: Int64(seen.count), count: 100)
      XCTAssertFalse(bytes.isEmpty)
      seen += bytes
    }
    XCTAssertEqual(seen, Self.object)
    XCTAssertEqual(try Self.read(window, at: 1_000, count: 10), [], "the end of the object")
    XCTAssertLessThanOrEqual(window.slotCount, 3 + 2 + 1, "memory is bounded by the lookahead, not the size")
    fetchers.stop()  // a fetcher may still be between its last write and `finished`
    XCTAssertEqual(window.contiguousBytes, 1_000, "every piece arrived whole once")
  }

  func testAReaderThatJumpsToTheEndAndBackGetsEvictedPiecesFetchedAgain() throws {
    let jumps = Asked()
    let window = PieceWindow(name: "test", size: 1_000, pieceSize: 50, lookahead: 2, onFarRead: { jumps.add($0) })
    let fetchers = Fetchers(window, count: 2, object: Self.object)
    defer { fetchers.stop() }
    XCTAssertEqual(try Self.readFully(window, at: 990, count: 10), Array(Self.object[990..<1_000]), "the tail first")
    XCTAssertEqual(jumps.offsets, [990], "the jump past what was being fetched is reported")
    var offset: Int64 = 0
    while offset < 1_000 {
      let bytes = try Self.read(window, at: offset, count: 30)
      XCTAssertEqual(bytes, Array(Self.object[Int(offset)..<Int(offset) + bytes.count]))
      offset += Int64(bytes.count)
    }
    XCTAssertEqual(
      try Self.readFully(window, at: 10, count: 20), Array(Self.object[10..<30]), "the start again, refetched")
    XCTAssertGreaterThan(fetchers.fetched(piece: 0), 1, "piece 0 had been evicted (5 buffers for 20 pieces)")
  }

  func testTwoReadersKeepTheirOwnPiecesAndBothGetEveryByte() throws {
    let window = PieceWindow(name: "test", size: 1_000, pieceSize: 40, lookahead: 2, readers: 2)
    let fetchers = Fetchers(window, count: 2, object: Self.object)
    defer { fetchers.stop() }
    let second = expectation(description: "the second reader read every byte")
    Thread.detachNewThread {
      var seen: [UInt8] = []
      while seen.count < 1_000, let bytes = try? Self.read(window, at: Int64(seen.count), count: 33, reader: 1),
        !bytes.isEmpty
      {
        seen += bytes
      }
      if seen == Self.object { second.fulfill() }
    }
    var seen: [UInt8] = []
    while seen.count < 1_000 { seen += try Self.read(window, at: Int64(seen.count), count: 77) }
    XCTAssertEqual(seen, Self.object)
    window.readerDone(0)
    wait(for: [second], timeout: 20)
  }

  func testARetriedRequestSkipsTheBytesAlreadyThereAndAWrongLengthFails() throws {
    let window = PieceWindow(name: "test", size: 100, pieceSize: 100, lookahead: 1)
    let fetch = try XCTUnwrap(window.nextFetch())
    try Self.object[0..<60].withUnsafeBytes { try window.write($0, at: 0, to: fetch) }
    XCTAssertEqual(try Self.read(window, at: 0, count: 100), Array(Self.object[0..<60]), "what arrived is readable")
    try Self.object[0..<100].withUnsafeBytes { try window.write($0, at: 0, to: fetch) }  // the retry, from 0
    try window.finished(fetch)
    XCTAssertEqual(try Self.read(window, at: 50, count: 100), Array(Self.object[50..<100]))

    let short = PieceWindow(name: "test", size: 100, pieceSize: 100, lookahead: 1)
    let piece = try XCTUnwrap(short.nextFetch())
    try Self.object[0..<10].withUnsafeBytes { try short.write($0, at: 0, to: piece) }
    XCTAssertThrowsError(try short.finished(piece)) {
      XCTAssertTrue($0 is PieceWindow.WrongPieceLength, "\($0)")
      XCTAssertEqual(ExitStatus.of($0), .dataError, "a wrong answer, not a late one")
    }
    XCTAssertThrowsError(try Self.object[0..<10].withUnsafeBytes { try short.write($0, at: 95, to: piece) }) {
      XCTAssertTrue($0 is PieceWindow.WrongPieceLength, "more bytes than the range: \($0)")
    }
  }

  func testAWaitingReaderGetsTheDownloadsErrorAndFetchersStopOnClose() throws {
    let window = PieceWindow(name: "test", size: 1_000, pieceSize: 100, lookahead: 2)
    let failed = expectation(description: "the waiting read failed")
    Thread.detachNewThread {
      do {
        _ = try Self.read(window, at: 0, count: 10)
      } catch {
        if "\(error)".contains("refused") { failed.fulfill() }
      }
    }
    Thread.sleep(forTimeInterval: 0.1)
    window.fail(Refused())
    wait(for: [failed], timeout: 10)
    XCTAssertNil(window.nextFetch(), "a failed window hands out no more pieces")

    let closed = PieceWindow(name: "test", size: 1_000, pieceSize: 100, lookahead: 2)
    let fetch = try XCTUnwrap(closed.nextFetch())
    closed.close()
    XCTAssertNil(closed.nextFetch())
    XCTAssertThrowsError(try Self.object[0..<10].withUnsafeBytes { try closed.write($0, at: 0, to: fetch) }) {
      XCTAssertTrue($0 is DownloadCancelled, "a request under way stops at its next write: \($0)")
    }
  }
}

private struct Refused: Error, CustomStringConvertible {
  var description: String { "connection refused" }
}

/// Threads that fill whatever piece the window asks for from `object`, in two writes per piece (so readers see a
/// piece half there), counting how often each piece was fetched.
private final class Fetchers: @unchecked Sendable {
  private let lock = NSLock()
  private var counts: [Int: Int] = [:]
  private let window: PieceWindow
  private let done = DispatchGroup()

  init(_ window: PieceWindow, count: Int, object: [UInt8]) {
    self.window = window
    for _ in 0..<count {
      done.enter()
      Thread.detachNewThread { [self] in
        defer { done.leave() }
        while let fetch = window.nextFetch() {
          lock.withLock { counts[fetch.piece, default: 0] += 1 }
          let bytes = Array(object[Int(fetch.range.lowerBound)..<Int(fetch.range.upperBound)])
          let half = bytes.count / 2
          do {
            try bytes[0..<half].withUnsafeBytes { try window.write($0, at: 0, to: fetch) }
            try bytes[half...].withUnsafeBytes { try window.write($0, at: half, to: fetch) }
            try window.finished(fetch)
          } catch {
            window.fail(error)
          }
        }
      }
    }
  }

  func fetched(piece: Int) -> Int { lock.withLock { counts[piece, default: 0] } }

  func stop() {
    window.close()
    done.wait()
  }
}
