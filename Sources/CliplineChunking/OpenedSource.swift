import CliplineMedia
import CliplineRecords
import CliplineSources
import CliplineSystem
import Foundation

/// A request's source, opened for cutting: read as it downloads when the fetcher can stream it, else fetched
/// whole first (or read in place). Whatever fails while the download runs is reported as the download's error.
struct OpenedSource {
  let segmenter: Segmenter
  private let download: RunningDownload?
  private let local: LocalSource?

  static func open(
    _ url: String, fetcher: SourceFetcher, workDirectory: WorkDirectory, diagnostics: Diagnostics, line: Int
  ) throws -> OpenedSource {
    let started = Date()
    let redacted = SecretRedaction.url(url)
    if let download = try fetcher.startStreamingDownload(
      of: url, in: workDirectory, report: { diagnostics.debug($0, line: line) })
    {
      do {
        let segmenter: Segmenter
        do {
          segmenter = try Segmenter(arrivingSource: download.source)
        } catch {
          throw failure(of: download) ?? error
        }
        let arrived = download.source.contiguousBytes
        if let size = download.source.knownSize, size > 0, download.source.farthestRead * 10 >= size * 9 {
          diagnostics.debug(
            "\(redacted) keeps its index at the end: read its last bytes first, opened when \(arrived) bytes had "
              + "arrived from the start, in \(elapsed(since: started))", line: line)
        } else {
          diagnostics.debug(
            "opened \(redacted) after its first \(arrived) bytes, in \(elapsed(since: started))", line: line)
        }
        return OpenedSource(segmenter: segmenter, download: download, local: nil)
      } catch {
        download.discard()
        throw error
      }
    }
    let source = try fetcher.localFile(for: url, in: workDirectory)
    if source.isDownloadedCopy {
      diagnostics.debug("downloaded \(redacted) in \(elapsed(since: started))", line: line)
    }
    do {
      return OpenedSource(segmenter: try Segmenter(sourcePath: source.path), download: nil, local: source)
    } catch {
      source.discard()
      throw error
    }
  }

  /// Why the download failed, if it did: a cut that fails meanwhile fails because of it.
  var downloadFailure: Error? { download.flatMap(Self.failure(of:)) }

  private static func failure(of download: RunningDownload) -> Error? {
    guard let failure = download.source.error, !(failure is DownloadCancelled) else { return nil }
    return failure
  }

  /// Read while it downloads: the download ends after the source was opened.
  var isStreamed: Bool { download != nil }
  /// Fetched from elsewhere (streamed, or downloaded whole before it was opened), not read in place.
  var isFetched: Bool { download != nil || local?.isDownloadedCopy == true }

  /// The cut read every byte it needed: the download must still end well (a size or checksum check may fail).
  func waitForDownload() throws { try download?.wait() }

  func discard() {
    download?.discard()
    local?.discard()
  }

  private static func elapsed(since start: Date) -> String {
    String(format: "%.2f s", Date().timeIntervalSince(start))
  }
}
