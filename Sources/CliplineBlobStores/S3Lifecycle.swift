import CliplineAWS
import CliplineCrypto
import Foundation

extension S3Store {
  /// The tag `blob-put --ttl` adds next to `clipline-expires-at`: the TTL in whole days (rounded up), which a
  /// lifecycle rule can match (S3 lifecycle filters on tag values, not on dates).
  public static let lifecycleDaysTag = "clipline-ttl-days"

  /// Installs the bucket's lifecycle configuration so S3 itself removes what `blob-rm --expired` would: one rule per
  /// TTL of 1…`maximumDays` days (objects tagged `clipline-ttl-days=N` expire N days after creation) and one that
  /// aborts multipart uploads left open for a day (a `kill -9` mid-upload). It replaces the bucket's existing
  /// lifecycle configuration.
  public func installLifecycle(bucket: String, prefix: String, maximumDays: Int) throws {
    let escapedPrefix = XMLScanner.escape(prefix)
    var rules = [
      "<Rule><ID>clipline-abort-incomplete-multipart</ID><Filter><Prefix>\(escapedPrefix)</Prefix></Filter>"
        + "<Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
        + "</AbortIncompleteMultipartUpload></Rule>"
    ]
    for days in 1...max(1, maximumDays) {
      rules.append(
        "<Rule><ID>clipline-ttl-\(days)d</ID><Filter><And><Prefix>\(escapedPrefix)</Prefix><Tag><Key>"
          + "\(Self.lifecycleDaysTag)</Key><Value>\(days)</Value></Tag></And></Filter><Status>Enabled</Status>"
          + "<Expiration><Days>\(days)</Days></Expiration></Rule>")
    }
    let body = Array(("<LifecycleConfiguration>" + rules.joined() + "</LifecycleConfiguration>").utf8)
    _ = try send(
      "PUT", Target(bucket: bucket, key: ""), query: "lifecycle",
      headers: [("Content-Type", "application/xml"), ("Content-MD5", Digest.md5(body).base64String)],
      body: .bytes(body))
  }

  /// The IDs of the bucket's lifecycle rules.
  public func lifecycleRuleIDs(bucket: String) throws -> [String] {
    let response = try send("GET", Target(bucket: bucket, key: ""), query: "lifecycle")
    return XMLScanner(response.body).scanners("Rule").compactMap { $0.text("ID") }
  }
}
