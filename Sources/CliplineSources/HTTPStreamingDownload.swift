import CliplineHTTP
import CliplineSystem
import Foundation

extension HTTPDownloader {
  /// One plain GET into `path`, published as it arrives. A reader that jumps past what has arrived (an index at the
  /// end) gets that tail from a second, ranged GET when the server honours ranges; otherwise it waits for the
  /// download.
  public func startStreamingDownload(
    _ url: String, to path: String, report: @escaping @Sendable (String) -> Void
  ) throws -> RunningDownload? {
    try LocalFile.create(path).close()
    let download = StreamingDownload(path: path)
    let tail = TailFetch()
    download.file.onWantedOffset { [self] offset in
      guard download.file.contiguousBytes < offset, tail.claim() else { return }
      download.alongside { fetchTail(of: url, from: offset, into: download, report: report) }
    }
    download.start { [self] download in
      let transfer = MainTransfer()
      try retry.run(isRetryable: isRetryableHTTPFailure) { _ in
        try transfer.attempt(url, into: download, report: report)
      }
    }
    return download
  }

  /// The rest of the source from `offset` on, beside the main GET; its failure is the main GET's to report.
  private func fetchTail(
    of url: String, from offset: Int64, into download: StreamingDownload, report: (String) -> Void
  ) {
    let redacted = SecretRedaction.url(url)
    do {
      let client = HTTPClient()
      _ = try retry.run(isRetryable: isRetryableHTTPFailure) { _ in
        try client.send(
          .download(url, headers: [("Range", "bytes=\(offset)-")]),
          to: download.destination(at: offset) { status, _ in
            guard status == 206 else { throw RangesIgnored() }
          }
        ).checked()
      }
      report("read ahead to byte \(offset) of \(redacted) (an index at the end): fetched the rest with a ranged GET")
    } catch is RangesIgnored {
      report("read ahead to byte \(offset) of \(redacted), which ignores ranges: cutting waits for the whole download")
    } catch {
      // The main GET still brings these bytes; it reports its own failure.
    }
  }
}

/// The main GET and its retries: what the first answer said of ranges and of the object's version. Used by the one
/// thread of the download.
private final class MainTransfer {
  private let client = HTTPClient()
  private var validator: String?
  private var resumable = true

  /// One attempt. A retry goes on from the bytes that arrived in order, when the server honours ranges and the
  /// object is the one that was being read (If-Range); otherwise it starts over from byte 0, rewriting the same
  /// bytes.
  func attempt(_ url: String, into download: StreamingDownload, report: (String) -> Void) throws {
    let resumeAt = download.file.contiguousBytes
    if resumeAt > 0, resumable, let size = download.file.knownSize {
      if resumeAt >= size { return }
      do {
        var headers = [(name: "Range", value: "bytes=\(resumeAt)-")]
        if let validator { headers.append(("If-Range", validator)) }
        _ = try client.send(
          .download(url, headers: headers),
          to: download.destination(at: resumeAt) { status, _ in
            guard status == 206 else { throw RangesIgnored() }
          }
        ).checked()
        report("resumed \(SecretRedaction.url(url)) from byte \(resumeAt) with a ranged GET")
        return
      } catch is RangesIgnored {
        resumable = false
      }
    }
    _ = try client.send(
      .download(url), to: download.destination(at: 0) { [self] _, headers in learn(headers, into: download) }
    ).checked()
  }

  /// The first answer's length, whether a retry may ask for a range, and what If-Range compares (a strong ETag,
  /// else Last-Modified).
  private func learn(_ headers: [(name: String, value: String)], into download: StreamingDownload) {
    func header(_ name: String) -> String? { headers.last { $0.name.lowercased() == name }?.value }
    let encoded = header("content-encoding") != nil
    if !encoded, let length = header("content-length").flatMap({ Int64($0) }) {
      download.file.setSize(length)
    }
    resumable = !encoded && header("accept-ranges")?.lowercased() == "bytes"
    validator = header("etag").flatMap { $0.hasPrefix("W/") ? nil : $0 } ?? header("last-modified")
  }
}

/// At most one tail request per download.
private final class TailFetch: @unchecked Sendable {  // `lock` guards `claimed`
  private let lock = NSLock()
  private var claimed = false

  func claim() -> Bool {
    lock.withLock {
      defer { claimed = true }
      return !claimed
    }
  }
}

/// A server that answered a ranged GET with the whole body.
private struct RangesIgnored: Error {}
