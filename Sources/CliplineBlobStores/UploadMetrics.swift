import CliplineTelemetry
import Foundation

/// What a record's upload adds to the tool's figures (`ToolMetrics`): each object stored, and its bytes, by the
/// kind of destination; the record's upload, from its plan to the last destination, as one step of the upload
/// stage. blob-put, chunk --to, kvs-clip --to and kvs-follow all store through `RecordUploader`, so this is the
/// one place that counts.
enum UploadMetrics {
  static func count(_ stored: [StoredBlob], since start: Date) {
    for blob in stored {
      let kind = [kind(of: blob.location)]
      ToolMetrics.registry.add(ClipMetrics.storedObjects, labels: kind)
      ToolMetrics.registry.add(ClipMetrics.storedBytes, Double(blob.bytes), labels: kind)
    }
    ToolMetrics.stage(.upload, since: start)
  }

  static func kind(of location: BlobLocation) -> String {
    switch location {
    case .s3: return "s3"
    case .azure: return "az"
    case .file: return "file"
    case .http: return "http"
    }
  }
}
