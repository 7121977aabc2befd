import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// `chunk` cuts an az:// source while parallel x-ms-range reads bring it in: the chunks a local cut makes.
final class ChunkStreamingAzureTests: XCTestCase {
  func testChunkCutsAnAzureSourceWhileItDownloadsFrontOrEndIndex() throws {
    let azure = try AzureTestAccount.require()
    let scratch = try ScratchDirectory("azure")
    let container = try azure.makeContainer("chunk")
    let front = try FixtureVideo.path(.init(seconds: 24, width: 1280, height: 720, gopFrames: 25))
    let end = try ChunkReference.moovAtEnd(front, in: scratch.path)
    for (name, source) in [("front.mp4", front), ("end.mp4", end)] {
      let location = BlobLocation.azure(account: azure.account, container: container, blob: "videos/\(name)")
      _ = try azure.store().put(.file(source), to: location, options: BlobPutOptions())
      let result = try ToolInvocation.run(
        "chunk", ["--verbose", "--source", location.description, "--chunk-duration", "4", "-o", scratch.file(name)],
        environment: ["AZURE_STORAGE_CONNECTION_STRING": azure.connectionString])
      XCTAssertEqual(result.status, 0, result.stderr)
      XCTAssertEqual(
        try result.records().compactMap { $0["chunk_hash"]?.stringValue },
        try ChunkReference.hashes(of: source, chunkDuration: 4), name)
      XCTAssertEqual(
        result.stderr.contains("keeps its index at the end"), name == "end.mp4", "\(name): \(result.stderr)")
    }
  }
}
