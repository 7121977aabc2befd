import ArgumentParser
import CliplineBlobStores
import CliplineCLI
import CliplineRecords
import CliplineStorageFlags
import CliplineSystem
import Foundation

struct BlobPut: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "blob-put",
    abstract: "Upload the file each record names to S3, Azure Blob or a local directory, and add the URLs.",
    discussion: """
      Reads JSON records on stdin. For each, uploads the local file named by --file-field (default: the first of \
      chunk_path, clip_path, thumbnail_path) to every --to destination, in parallel, and writes the record with \
      the new fields, in input order, as soon as its uploads are done. Every other field passes through. Files from \
      16 MiB up upload one record at a time, the earliest first, so the first record leaves as soon as its own \
      upload is done instead of all finishing late together; their server-side copies and smaller files overlap.

      DESTINATIONS: --to "TEMPLATE=FIELD" where TEMPLATE is s3://bucket/key, az://account/container/blob or \
      file:///dir/file with {field} holes filled from the record ({chunk_id:03} pads with zeros, {a.b} reads a \
      nested field). A value that is an RFC 3339 instant is written in key form: UTC, ":" as "-", a fraction \
      only when it has one (2026-02-26T14-30-00Z for "2026-02-26 15:30:00+01:00"), so one instant is one \
      object. The URL goes to FIELD (default: url). A field value that would climb out of the prefix \
      (".." or "." segments), make an absolute path, put a "/" into the bucket, account or container name \
      (s3://{cache_container_name}/... with rtb/sub), or an invalid key is refused with exit 65; nothing is written.

      FIELDS WRITTEN: for each destination FIELD (the object's URL), FIELD_etag (the ETag that service \
      returned), FIELD_presigned_url (with --presign), FIELD_expires_at (with --ttl); for the file, named after \
      its field without _path (chunk_path gives chunk_): STEM_bytes and STEM_sha256 (hex).

      KNOWN DIGEST: when the --sha256-field field (default STEM_sha256, else chunk_hash, which chunk writes) \
      holds 64 hex digits, \
      it is taken as the file's SHA-256 and the file is not read again to hash it: an S3 PUT sends it as \
      x-amz-checksum-sha256 and S3 refuses bytes that do not match (a server that does not echo the checksum it \
      checked gets the object read back and hashed); multipart, Azure and file:// uploads check it \
      against their own pass over the bytes. A wrong digest exits 65 naming the field, and nothing is stored. Any \
      other value (a shorter hash) is ignored and the file is hashed; --sha256-field '' hashes every file.

      SERVER-SIDE COPY: a destination on the same service and account as an earlier one (S3 to S3, Azure to Azure) \
      is, with --copy-mode auto (the default) or server, a copy made by the service from the object just uploaded \
      (S3 CopyObject, UploadPartCopy from 5 GiB; Azure Put Blob From URL, up to 5000 MiB), with its own tags, \
      expiry and content type: no second upload of the bytes. auto uploads instead where the service refuses the \
      copy (or the blob is too large for it); server makes that refusal the record's failure; upload uploads every \
      destination. On a real cloud a copy moves no client bytes at all; on loopback it costs about what an upload \
      does.

      INTEGRITY: every upload carries a checksum the server verifies (x-amz-checksum-sha256 per object and \
      x-amz-checksum-crc32c per part on S3, Content-MD5 per blob or block on Azure); files from --multipart-threshold up go up in --part-size parts, \
      --part-jobs at a time, and a failed or \
      interrupted multipart upload is aborted, so no object and no orphaned parts remain. Keys are deterministic: \
      a rerun overwrites the same objects.

      CREDENTIALS: S3 uses the AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, AWS_PROFILE \
      with ~/.aws files, web identity, container credentials, EC2 instance metadata) and AWS_ENDPOINT_URL_S3 for \
      S3-compatible servers. Azure reads AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with \
      AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN (AZURE_STORAGE_BLOB_ENDPOINT moves the endpoint).

      EXAMPLES:
        chunk | blob-put \\
          --to "s3://videos/{process_id}/chunk_{chunk_id:03}.mp4=cloud_stream_path" \\
          --to "s3://spectra-cache/temp/{process_id}/{chunk_id:03}.mp4=cache_path" \\
          --ttl cache_path=24h --remove-source
        kvs-clip | blob-put --presign 1h \\
          --to "az://acct/videos/live/{camera_id}/{start_time}.mp4=cloud_stream_path"

      DRY RUN: --dry-run reads and checks each record exactly as an upload does (a bad field or key, or a missing \
      file, fails the same way) and writes it with each destination's URL in FIELD (FIELD_expires_at with \
      --ttl), STEM_bytes and "dry_run": true; nothing is uploaded, copied or removed, and no service is asked.

      ERRORS: network errors and 5xx/503 SlowDown are retried with exponential backoff and jitter (--attempts). \
      Then a service that could not be reached at all (connection refused, host not found) exits 69, as in every \
      clipline tool; one that was reached but timed out, answered 5xx or throttled exits 75 (worth retrying). Bad \
      credentials exit 77 with a sentence naming the bucket and key (never a secret). A missing local file exits \
      66. SIGTERM aborts uploads in flight (multipart uploads are aborted) and exits 75.

      BOUNDS: --jobs 1 to 256, --part-jobs 1 to 64, --attempts 1 to 20, --part-size 5M to 5G, \
      --multipart-threshold 0 to 5G, --ttl 1s to 3650d, --presign 1s to 7d; outside them, exit 64.

      \(ExitStatus.documentation)
      """,
    version: "blob-put " + cliplineVersion)

  @OptionGroup var upload: UploadDestinationOptions

  @Option(help: "The field naming the local file (default: chunk_path, clip_path or thumbnail_path).")
  var fileField: String?

  @Option(
    help: ArgumentHelp(
      "The field holding the file's SHA-256 as 64 hex digits, trusted as the known digest (checked); default "
        + "STEM_sha256, else chunk_hash; '' hashes every file.", valueName: "field"))
  var sha256Field: String?

  @Flag(help: "Delete the local file once every upload of its record succeeded.")
  var removeSource = false

  @Flag(help: "Write each record with the URLs it would get, marked \"dry_run\": true; upload nothing.")
  var dryRun = false

  @Option(help: "Records uploaded at once (output stays in input order).")
  var jobs: Int = 4

  @OptionGroup var storage: StorageOptions
  @OptionGroup var common: CommonOptions

  func validate() throws {
    guard !upload.destinations.isEmpty else {
      throw ValidationError(
        "Give at least one --to, e.g. --to \"s3://bucket/{process_id}/clip.mp4=cloud_stream_path\".")
    }
    guard (1...256).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 256.") }
  }

  func run() throws {
    let diagnostics = common.diagnostics(tool: "blob-put")
    try runTool(diagnostics) {
      var log: (@Sendable (String) -> Void)?
      if diagnostics.isEnabled(.debug) { log = { diagnostics.debug($0) } }
      guard var uploader = try upload.uploader(stores: storage.stores(), log: log) else { return }
      uploader.fileField = fileField
      uploader.removeSource = removeSource
      uploader.sha256Field = sha256Field
      uploader.knownDigestDisabled = sha256Field?.isEmpty == true
      let writer = RecordWriter()
      try OrderedRecordLoop(diagnostics: diagnostics, jobs: jobs).run(
        { [uploader, dryRun] record, line in
          [dryRun ? try uploader.dryRun(record) : try uploader.upload(record, order: line)]
        }, emit: { try writer.write($0) })
    }
  }
}
