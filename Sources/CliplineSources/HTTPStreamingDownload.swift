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
    guard FileManager.default.createFile(atPath: path, contents: nil) else {
      throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
    }
    let download = StreamingDownload(path: path)
    let tail = TailFetch()
    download.file.onWantedOffset { [retry] offset in
      guard download.file.contiguousBytes < offset, tail.claim() else { return }
      let redacted = SecretRedaction.url(url)
      download.alongside {
        do {
          let client = HTTPClient()
          _ = try retry.run(isRetryable: isRetryableHTTPFailure) { _ in
            try client.send(
              HTTPRequest(url: url, headers: [("Range", "bytes=\(offset)-")]),
              to: download.destination(at: offset) { status, _ in
                guard status == 206 else { throw RangesIgnored() }
              }
            ).checked()
          }
          report(
            "read ahead to byte \(offset) of \(redacted) (an index at the end): fetched the rest with a ranged GET")
        } catch is RangesIgnored {
          report(
            "read ahead to byte \(offset) of \(redacted), which ignores ranges: cutting waits for the whole download")
        } catch {
          // The main GET still brings these bytes; it reports its own failure.
        }
      }
    }
    download.start { [retry] download in
      let client = HTTPClient()
      var validator: String?
      var resumable = true
      try retry.run(isRetryable: isRetryableHTTPFailure) { _ in
        // A retry goes on from the bytes that arrived in order, when the server honours ranges and the object is
        // the one that was being read (If-Range); otherwise it starts over from byte 0, rewriting the same bytes.
        let resumeAt = download.file.contiguousBytes
        if resumeAt > 0, resumable, let size = download.file.knownSize {
          if resumeAt >= size { return }
          do {
            var headers = [(name: "Range", value: "bytes=\(resumeAt)-")]
            if let validator { headers.append(("If-Range", validator)) }
            _ = try client.send(
              HTTPRequest(url: url, headers: headers),
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
          HTTPRequest(url: url),
          to: download.destination(at: 0) { _, headers in
            func header(_ name: String) -> String? { headers.last { $0.name.lowercased() == name }?.value }
            let encoded = header("content-encoding") != nil
            if !encoded, let length = header("content-length").flatMap({ Int64($0) }) {
              download.file.setSize(length)
            }
            resumable = !encoded && header("accept-ranges")?.lowercased() == "bytes"
            // A strong ETag, else Last-Modified: what If-Range compares.
            validator = header("etag").flatMap { $0.hasPrefix("W/") ? nil : $0 } ?? header("last-modified")
          }
        ).checked()
      }
    }
    return download
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
