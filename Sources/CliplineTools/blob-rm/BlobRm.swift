import ArgumentParser
import CliplineBlobStores
import CliplineCLI
import CliplineRecords
import CliplineStorageFlags
import CliplineSystem
import Foundation

struct BlobRm: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "blob-rm",
    abstract: "Remove objects from S3, Azure Blob or a local directory: named, from records, or once expired.",
    discussion: """
      Three ways to say what goes:
        blob-rm URL...                    removes those objects (s3://, az://, file://); removing what is not there \
      is not an error.
        ... | blob-rm --field cache_path    reads records, removes the object each names in FIELD (repeatable), and \
      writes the record on unchanged, so it can sit in a pipeline (M2 deletes cache chunks after inference).
        blob-rm --expired PREFIX_URL...   lists each prefix and removes the objects whose expiry (set by \
      blob-put --ttl as the tag clipline-expires-at, else the Expires header) has passed; writes one record per \
      expired object: url, expires_at, bytes, removed (false with --dry-run). Objects without an expiry stay.
        blob-rm --install-lifecycle s3://BUCKET[/PREFIX]   lets S3 do it instead: installs lifecycle rules that \
      expire objects tagged clipline-ttl-days=N (blob-put --ttl adds it) N days after creation, for N up to \
      --lifecycle-days, and abort multipart uploads open for a day. It replaces the bucket's lifecycle \
      configuration; writes one record per bucket: bucket, prefix, lifecycle_days.

      DRY RUN: --dry-run removes nothing. With URLs or --field it says "dry run: would remove URL" on stderr for \
      each object (records are read and checked as without it, and written on marked "dry_run": true); with \
      --expired, removed is false in each record.

      Credentials and endpoints as for blob-put (AWS chain, AWS_ENDPOINT_URL_S3, AZURE_STORAGE_*). A service that \
      could not be reached at all (connection refused, host not found) exits 69; one that was reached but timed \
      out, answered 5xx or throttled exits 75. --lifecycle-days is 1 to 365; the storage flags have the bounds \
      blob-put documents.

      EXAMPLES:
        blob-rm s3://spectra-cache/temp/42/chunk_001.mp4
        blob-rm --expired s3://spectra-cache/temp/ --dry-run
        blob-rm --install-lifecycle s3://spectra-cache/temp/ --lifecycle-days 7
        ... | blob-rm --field cache_path | amqp-pub --queue M2_DONE

      \(ExitStatus.documentation)
      """,
    version: "blob-rm " + cliplineVersion)

  @Argument(help: "Objects to remove, or with --expired the prefixes to sweep.")
  var urls: [String] = []

  @Option(help: "Read records and remove the object whose URL is in this field (repeatable).")
  var field: [String] = []

  @Flag(help: "Remove what has passed its expiry under each prefix URL.")
  var expired = false

  @Flag(help: "Say what would be removed (records marked \"dry_run\": true), remove nothing.")
  var dryRun = false

  @Flag(
    help: "Install S3 lifecycle rules on each s3://bucket[/prefix] instead: expire by the TTL tag, abort stale uploads."
  )
  var installLifecycle = false

  @Option(help: "With --install-lifecycle: the longest TTL in days that gets a rule.")
  var lifecycleDays: Int = 30

  @OptionGroup var storage: StorageOptions
  @OptionGroup var common: CommonOptions

  func validate() throws {
    if installLifecycle {
      guard !urls.isEmpty, field.isEmpty, !expired else {
        throw ValidationError("--install-lifecycle takes s3://bucket[/prefix] arguments and no other mode.")
      }
      guard urls.allSatisfy({ $0.lowercased().hasPrefix("s3://") }) else {
        throw ValidationError("--install-lifecycle applies to s3:// buckets only.")
      }
      guard (1...365).contains(lifecycleDays) else { throw ValidationError("--lifecycle-days must be 1 to 365.") }
    } else if expired {
      guard !urls.isEmpty else { throw ValidationError("--expired needs prefix URLs, e.g. s3://spectra-cache/temp/.") }
      guard field.isEmpty else { throw ValidationError("--expired and --field are different modes; pick one.") }
    } else if field.isEmpty == urls.isEmpty {
      throw ValidationError("Name objects as arguments, or give --field to read them from records (not both).")
    }
    if dryRun && installLifecycle { throw ValidationError("--dry-run does not apply to --install-lifecycle.") }
    for url in urls {
      do {
        _ = expired ? try BlobLocation(parsingPrefix: url) : try BlobLocation(parsing: url)
      } catch {
        throw ValidationError(describe(error))
      }
    }
  }

  func run() throws {
    let diagnostics = common.diagnostics(tool: "blob-rm")
    try runTool(diagnostics) {
      let stores = storage.stores()
      let writer = RecordWriter()
      if installLifecycle {
        for url in urls {
          guard case .s3(let bucket, let prefix) = try BlobLocation(parsingPrefix: url) else { continue }
          try stores.s3Store().installLifecycle(bucket: bucket, prefix: prefix, maximumDays: lifecycleDays)
          try writer.write(
            Record([
              "bucket": .string(bucket), "prefix": .string(prefix), "lifecycle_days": .integer(Int64(lifecycleDays)),
            ]))
        }
      } else if expired {
        var sweeper = ExpiredBlobSweeper(stores: stores)
        sweeper.dryRun = dryRun
        for url in urls {
          try sweeper.sweep(prefix: try BlobLocation(parsingPrefix: url)) { try writer.write(Record().merging($0)) }
        }
      } else if field.isEmpty {
        for url in urls { try remove(try BlobLocation(parsing: url), from: stores, diagnostics) }
      } else {
        try RecordLoop(diagnostics: diagnostics).run { record, line in
          for name in field {
            try remove(try BlobLocation(parsing: try record.requireString(name)), from: stores, diagnostics, line)
          }
          var output = record
          if dryRun { output["dry_run"] = true }
          try writer.write(output)
        }
      }
    }
  }

  private func remove(
    _ location: BlobLocation, from stores: BlobStoreSet, _ diagnostics: Diagnostics, _ line: Int? = nil
  )
    throws
  {
    if dryRun {
      diagnostics.info("dry run: would remove \(location)", line: line)
    } else {
      try stores.store(for: location).delete(location)
    }
  }
}
