import CliplineBlobStores
import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

/// The Azure Blob store against the test endpoint whose SharedKey/SAS checks are azure-storage-blob's own code;
/// and the azure-storage-blob SDK reading what we wrote. `blob-put` to Azure: BlobPutAzureTests.
final class AzureBlobStoreTests: XCTestCase {
  var azure: AzureTestAccount!
  var connectionString: String!
  var account: String!
  var key: String!
  var scratch: ScratchDirectory!

  override func setUpWithError() throws {
    azure = try AzureTestAccount.require()
    connectionString = azure.connectionString
    account = azure.account
    key = azure.key
    scratch = try ScratchDirectory("azure")
  }

  func store(_ configuration: AzureConfiguration? = nil) throws -> AzureBlobStore { try azure.store(configuration) }

  func makeContainer(_ label: String) throws -> String { try azure.makeContainer(label) }

  func testPutBlobAndBlocksRoundTripWithTagsListAndDelete() throws {
    let container = try makeContainer("roundtrip")
    let store = try store()
    for (name, size) in [("small.mp4", 333_333), ("large.mp4", 10 * (1 << 20) + 99)] {
      let source = scratch.file(name)
      try writeRandomFile(source, bytes: size)
      let location = BlobLocation.azure(account: account, container: container, blob: "clips/cam 1/\(name)")
      let stored = try store.put(
        .file(source), to: location,
        options: BlobPutOptions(
          contentType: "video/mp4", tags: ["camera": "front"], expiresAt: Date(timeIntervalSince1970: 1_800_000_000)))
      XCTAssertEqual(stored.bytes, Int64(size))
      XCTAssertEqual(stored.sha256, try sha256Hex(ofFile: source))
      XCTAssertFalse(stored.etag.isEmpty)
      let info = try XCTUnwrap(try store.head(location))
      XCTAssertEqual(info.bytes, Int64(size))
      XCTAssertEqual(info.sha256, stored.sha256)
      XCTAssertEqual(try store.tags(of: location)["camera"], "front")
      XCTAssertEqual(try store.expiry(of: location), Date(timeIntervalSince1970: 1_800_000_000))
      let copy = scratch.file("copy-\(name)")
      _ = try store.get(location, to: copy)  // the large one in parallel x-ms-range reads
      XCTAssertEqual(try sha256Hex(ofFile: copy), stored.sha256)
    }
    let listed = try store.list(prefix: .azure(account: account, container: container, blob: "clips/"))
    XCTAssertEqual(
      listed.map(\.location.description).sorted(),
      [
        "az://\(account!)/\(container)/clips/cam 1/large.mp4", "az://\(account!)/\(container)/clips/cam 1/small.mp4",
      ])
    let small = BlobLocation.azure(account: account, container: container, blob: "clips/cam 1/small.mp4")
    try store.setTags(["a": "b"], of: small)
    XCTAssertEqual(try store.tags(of: small), ["a": "b"])
    try store.delete(small)
    XCTAssertNil(try store.head(small))
    try store.delete(small)
    XCTAssertThrowsError(try store.get(small, to: scratch.file("gone"))) { XCTAssertEqual(ExitStatus.of($0), .noInput) }
  }

  func testSASURLsWorkWithCurlAndStopWhenTamperedOrExpired() throws {
    let container = try makeContainer("sas")
    let store = try store()
    let source = scratch.file("clip.mp4")
    try writeRandomFile(source, bytes: 5000)
    let location = BlobLocation.azure(account: account, container: container, blob: "live/clip.mp4")
    _ = try store.put(.file(source), to: location, options: BlobPutOptions())
    let url = try store.presignedURL(for: location, method: .get, expires: 600)
    XCTAssertTrue(url.contains("sig="))
    let fetched = scratch.file("fetched")
    XCTAssertEqual(try curlStatus(["-o", fetched, url]), "200")
    XCTAssertEqual(try sha256Hex(ofFile: fetched), try sha256Hex(ofFile: source))
    XCTAssertEqual(
      try curlStatus(["-o", "/dev/null", url.replacingOccurrences(of: "clip.mp4", with: "clip2.mp4")]), "403")
    XCTAssertEqual(try curlStatus(["-o", "/dev/null", url.replacingOccurrences(of: "sp=r", with: "sp=rw")]), "403")
    let shortLived = try store.presignedURL(for: location, method: .get, expires: 1)
    Thread.sleep(forTimeInterval: 2.2)
    XCTAssertEqual(try curlStatus(["-o", "/dev/null", shortLived]), "403")
    let putURL = try store.presignedURL(
      for: .azure(account: account, container: container, blob: "up/by-curl.bin"), method: .put, expires: 600)
    XCTAssertEqual(try curlStatus(["-H", "x-ms-blob-type: BlockBlob", "-T", source, putURL]), "201")
  }

  /// A container SAS made by the azure-storage-blob SDK authorizes our requests (AZURE_STORAGE_SAS_TOKEN).
  func testSASTokenAuthentication() throws {
    let container = try makeContainer("sastoken")
    let script = """
      import sys, datetime
      from azure.storage.blob import generate_container_sas, ContainerSasPermissions
      print(generate_container_sas(sys.argv[1], sys.argv[2], account_key=sys.argv[3],
        permission=ContainerSasPermissions(read=True, write=True, delete=True, list=True, tag=True, create=True),
        expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)))
      """
    let made = try ToolInvocation.runProcess("/usr/bin/env", ["python3", "-c", script, account, container, key])
    XCTAssertEqual(made.status, 0, made.stderr)
    let token = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let endpoint = try TestServices.require("CLIPLINE_TEST_AZURE_BLOB_ENDPOINT")
    let sasStore = try store(AzureConfiguration(credential: .sas(token), accountName: account, blobEndpoint: endpoint))
    let source = scratch.file("a.bin")
    try writeRandomFile(source, bytes: 6 << 20)  // blocks, with the token on every request
    let location = BlobLocation.azure(account: account, container: container, blob: "a.bin")
    _ = try sasStore.put(.file(source), to: location, options: BlobPutOptions())
    let copy = scratch.file("b.bin")
    _ = try sasStore.get(location, to: copy)
    XCTAssertEqual(try sha256Hex(ofFile: copy), try sha256Hex(ofFile: source))
    let otherContainer = try makeContainer("other")
    XCTAssertThrowsError(
      try sasStore.put(
        .file(source), to: .azure(account: account, container: otherContainer, blob: "a.bin"), options: BlobPutOptions()
      )
    ) { XCTAssertEqual(ExitStatus.of($0), .permissionDenied) }
  }

  func testWrongKeyIsPermissionDeniedNamingTheBlobNotTheKey() throws {
    let container = try makeContainer("denied")
    let wrongKey = Array(repeating: UInt8(7), count: 64)
    let endpoint = try TestServices.require("CLIPLINE_TEST_AZURE_BLOB_ENDPOINT")
    let denied = try store(
      AzureConfiguration(
        credential: .sharedKey(account: account, key: wrongKey), accountName: account, blobEndpoint: endpoint))
    let source = scratch.file("a.bin")
    try writeRandomFile(source, bytes: 10)
    XCTAssertThrowsError(
      try denied.put(
        .file(source), to: .azure(account: account, container: container, blob: "x/a.bin"), options: BlobPutOptions())
    ) { error in
      XCTAssertEqual(ExitStatus.of(error), .permissionDenied)
      XCTAssertTrue(describe(error).contains("az://\(self.account!)/\(container)/x/a.bin"), describe(error))
      XCTAssertTrue(describe(error).contains("AuthenticationFailed"), describe(error))
    }
  }

  /// Our blob SAS string-to-sign against the SDK's generate_blob_sas for the same inputs.
  func testBlobSASSignatureMatchesTheSDK() throws {
    let keyBytes = Array(Data(base64Encoded: key)!)
    let expiry = Date(timeIntervalSince1970: 1_800_000_000)
    let ours = AzureSharedKeySigner(account: "acct", key: keyBytes).blobSAS(
      container: "videos", blob: "live/cam 1/a.mp4", permissions: "r", expiry: expiry)
    let script = """
      import sys, datetime
      from azure.storage.blob._shared_access_signature import BlobSharedAccessSignature
      s = BlobSharedAccessSignature("acct", sys.argv[1]); s.x_ms_version = "2021-08-06"
      print(s.generate_blob("videos", "live/cam 1/a.mp4", permission="r", expiry="2027-01-15T08:00:00Z"))
      """
    let theirs = try ToolInvocation.runProcess("/usr/bin/env", ["python3", "-c", script, key])
    XCTAssertEqual(theirs.status, 0, theirs.stderr)
    func signature(_ query: String) -> String? {
      query.split(separator: "&").first { $0.hasPrefix("sig=") }.map {
        String($0.dropFirst(4)).removingPercentEncoding!
      }
    }
    XCTAssertTrue(ours.contains("se=2027-01-15T08%3A00%3A00Z"), ours)
    XCTAssertEqual(signature(ours), signature(theirs.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
  }

  func testConnectionStringParsing() throws {
    let parsed = try AzureConfiguration(
      connectionString:
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=AAAA;EndpointSuffix=core.windows.net")
    XCTAssertEqual(parsed.accountName, "acct")
    XCTAssertEqual(
      parsed.url(account: "acct", container: "c", blob: "a b/c"), "https://acct.blob.core.windows.net/c/a%20b/c")
    let sas = try AzureConfiguration(
      connectionString: "BlobEndpoint=http://127.0.0.1:1/acct;SharedAccessSignature=sv=1&sig=x")
    if case .sas(let token) = sas.credential { XCTAssertEqual(token, "sv=1&sig=x") } else { XCTFail("expected a SAS") }
    XCTAssertThrowsError(try AzureConfiguration(connectionString: "AccountName=acct;AccountKey")) {
      XCTAssertEqual(ExitStatus.of($0), .configuration)
    }
  }

}
