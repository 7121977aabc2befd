import ArgumentParser
import CliplineBlobStores
import CliplineCLI
import CliplineRecords
import CliplineStorageFlags
import CliplineSystem
import Foundation

struct BlobGet: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "blob-get",
    abstract: "Download an object from S3, Azure Blob or a local directory, or print a presigned URL for it.",
    discussion: """
      blob-get URL --output PATH downloads the object, streamed (large objects in parallel ranges), verifies its \
      size and the SHA-256 recorded at upload, and renames it into place: PATH appears whole or not at all. An \
      object whose bytes are not the ones recorded (changed since, or torn) exits 65 and leaves no file, on every \
      store, file:// included. It writes one record: url, path, bytes, sha256 (of the bytes received; always for \
      file://, when recorded at upload for S3 and Azure).
      --output - writes the object to stdout (and no record), as curl -o - and aws s3 cp URL - do. A PATH that is \
      not a regular file (a FIFO, a device, a symbolic link such as /dev/stdout) is never renamed over: the verified \
      bytes are written into it from a temporary file in $TMPDIR, so its reader still gets nothing unverified.
      blob-get URL --presign DURATION [--method put] writes one record with presigned_url: a URL that reads (or, \
      with put, writes) the object without credentials until it expires (at most 7d). On Azure it is a SAS URL; \
      for file:// it is the path.

      ERRORS: a service that could not be reached at all (connection refused, host not found) exits 69; one that \
      was reached but timed out, answered 5xx or throttled exits 75 after --attempts tries; bad credentials 77; a \
      missing object 66. --presign is 1s to 7d; the storage flags have the bounds blob-put documents.

      EXAMPLES:
        blob-get s3://spectra-videos/uploads/feed.mp4 --output /tmp/feed.mp4
        blob-get s3://spectra-videos/clips/a.mp4 --presign 1h

      \(ExitStatus.documentation)
      """,
    version: "blob-get " + cliplineVersion)

  @Argument(help: "The object: s3://bucket/key, az://account/container/blob or file:///path.")
  var url: String

  @Option(name: .shortAndLong, help: "Where to write the object (- for stdout).", completion: .file())
  var output: String?

  @Option(help: "Print a presigned URL valid this long instead of downloading.")
  var presign: DurationArgument?

  @Option(help: "With --presign: get (default) or put.")
  var method: String = "get"

  @OptionGroup var storage: StorageOptions
  @OptionGroup var common: CommonOptions

  func validate() throws {
    guard (output == nil) != (presign == nil) else {
      throw ValidationError("Give either --output PATH or --presign DURATION.")
    }
    guard ["get", "put"].contains(method) else { throw ValidationError("--method must be get or put.") }
    try presign?.check("--presign", within: 1...604_800)
    do { _ = try BlobLocation(parsing: url) } catch { throw ValidationError(describe(error)) }
  }

  func run() throws {
    let diagnostics = common.diagnostics(tool: "blob-get")
    try runTool(diagnostics) {
      let location = try BlobLocation(parsing: url)
      let store = try storage.stores().store(for: location)
      var record = Record(["url": .string(location.description)])
      if let presign {
        let presigned = try store.presignedURL(
          for: location, method: method == "put" ? .put : .get, expires: presign.seconds)
        record["presigned_url"] = .string(presigned)
      } else if let output {
        let path = output == "-" ? output : (output as NSString).expandingTildeInPath
        let info = try store.get(location, to: path)
        // The object went to stdout: no record after it.
        if path == "-" { return }
        record["path"] = .string(path)
        record["bytes"] = .integer(info.bytes)
        if let sha256 = info.sha256 { record["sha256"] = .string(sha256) }
      }
      try RecordWriter().write(record)
    }
  }
}
