import CliplineBlobStores
import CliplineChunking

/// The blob stores' own rules for the names in an M0 request.
struct BlobStoreNaming: M0StorageNaming {
  func problem(withSource url: String) -> String? {
    do {
      _ = try BlobLocation(parsing: url)
      return nil
    } catch let error as BlobLocation.InvalidLocation {
      return "is not a storage URL: \(error.reason)"
    } catch {
      return "is not a storage URL"
    }
  }

  func problem(withKeyPrefix prefix: String) -> String? {
    do {
      _ = try BlobKeyPolicy.checkFieldValue(prefix, field: "destination_prefix")
      return nil
    } catch let error as BlobKeyPolicy.UnsafeKey {
      return error.reason
    } catch {
      return "is not a safe key prefix"
    }
  }

  func problem(withContainer name: String) -> String? {
    (try? BlobKeyPolicy.checkBucket(name)) == nil
      ? "must be a bucket or container name (3-63 of a-z, 0-9, \"-\")" : nil
  }
}
