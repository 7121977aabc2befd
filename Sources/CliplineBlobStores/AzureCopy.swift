import CliplineRecords
import CliplineSystem
import Foundation

extension AzureBlobStore: ServerSideCopying {
  /// Put Blob From URL takes a source of at most 5000 MiB; larger blobs are uploaded instead.
  static let largestCopy: Int64 = 5000 << 20

  public func canCopy(from source: BlobLocation, to destination: BlobLocation) -> Bool {
    guard case .azure(let sourceAccount, _, _) = source, case .azure(let account, _, _) = destination else {
      return false
    }
    return sourceAccount == account
  }

  /// Put Blob From URL: the service reads the source through a short-lived read SAS and writes the destination
  /// whole, with the destination's content type, metadata and tags; `x-ms-source-if-match` pins the source version.
  public func copy(_ source: StoredBlob, to location: BlobLocation, options: BlobPutOptions) throws -> StoredBlob {
    let target = try self.target(location)
    guard source.bytes <= Self.largestCopy else {
      throw CopyTooLarge(location: location, bytes: source.bytes, limit: Self.largestCopy)
    }
    do {
      let sourceURL = try presignedURL(for: source.location, method: .get, expires: 3600)
      let digests = FileDigests(sha256: Array(hex: source.sha256) ?? [], md5: [], bytes: source.bytes)
      var headers = blobHeaders(options, digests: digests, prefix: "x-ms-blob-")
      headers += [("x-ms-blob-type", "BlockBlob"), ("x-ms-copy-source", sourceURL)]
      if !source.etag.isEmpty { headers.append(("x-ms-source-if-match", "\"\(source.etag)\"")) }
      let response = try send("PUT", target, headers: headers)
      return StoredBlob(
        location: location, bytes: source.bytes, etag: S3Store.unquoted(response.header("ETag") ?? ""),
        sha256: source.sha256)
    } catch {
      throw BlobStoreError("server-side copy to", location, error)
    }
  }
}

/// A server-side copy the service cannot make in one request; `blob-put --copy-mode auto` uploads instead.
public struct CopyTooLarge: ExitStatusProviding, CustomStringConvertible {
  public let location: BlobLocation
  public let bytes: Int64
  public let limit: Int64
  public var exitStatus: ExitStatus { .dataError }
  public var description: String {
    "a server-side copy to \(location) of \(bytes) bytes is over the service's \(limit)-byte limit"
  }
}
