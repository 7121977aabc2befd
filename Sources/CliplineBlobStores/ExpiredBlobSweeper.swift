import CliplineRecords
import CliplineSystem
import Foundation

/// What `blob-rm --expired` does: list a prefix, read each object's expiry (its tag, else `Expires`), and remove
/// those past it. Objects without an expiry are never touched.
public struct ExpiredBlobSweeper: Sendable {
  public let stores: BlobStoreSet
  public var dryRun = false
  public var jobs = 8
  public var now: @Sendable () -> Date = { Date() }

  public init(stores: BlobStoreSet) { self.stores = stores }

  public struct Removed: Encodable, Equatable {
    public let url: String
    public let expiresAt: String
    public let bytes: Int64
    public let removed: Bool

    enum CodingKeys: String, CodingKey {
      case url, bytes, removed
      case expiresAt = "expires_at"
    }
  }

  /// Calls `report` (in listing order) for each object past its expiry, after removing it (unless dry run).
  public func sweep(prefix: BlobLocation, report: (Removed) throws -> Void) throws {
    let store = try stores.store(for: prefix)
    let objects = try store.list(prefix: prefix)
    let moment = now()
    let expiries = ParallelWork.map(count: objects.count, width: jobs) { index -> Date? in
      guard let expiry = try self.stores.expiry(of: objects[index]), expiry <= moment else { return nil }
      if !self.dryRun { try store.delete(objects[index].location) }
      return expiry
    }
    for (object, expiry) in zip(objects, expiries) {
      guard let expiry = try expiry.get() else { continue }
      try report(
        Removed(
          url: object.location.description, expiresAt: RFC3339.format(expiry, fractionalDigits: 0),
          bytes: object.bytes, removed: !dryRun))
    }
  }
}
