import CliplineRecords
import Foundation

/// A tool's figures on the report channel, and how a consumer takes them in: one line
/// `{"metrics":[{"name":…,"labels":[…],"value":…}, {"name":…,"labels":[…],"sum":…,"count":…,"buckets":[…]}]}`
/// (a histogram's buckets as counts per bucket, not cumulative). The consumer adds them to its own series under its
/// queue. A report is checked, never trusted: unknown families, wrong labels, numbers that are not finite and
/// positive, and series beyond `seriesPerFamily` are dropped, so a handler cannot make the consumer's series grow.
public enum MetricsReport {
  /// The most series one reported family may have in a consumer (per queue, all labels together).
  public static let seriesPerFamily = 64

  /// The line for `registry`'s reported families; nil when they have no series.
  public static func line(of registry: MetricRegistry) -> [String: JSONValue]? {
    let reported = Set(ClipMetrics.reported)
    var items: [JSONValue] = []
    for (descriptor, series) in registry.snapshot() where reported.contains(descriptor) {
      for (labels, value) in series {
        var item: [String: JSONValue] = [
          "name": .string(descriptor.name), "labels": .array(labels.map { .string($0) }),
        ]
        if descriptor.kind == .histogram {
          item["sum"] = .double(value.value)
          item["count"] = .integer(Int64(value.count))
          item["buckets"] = .array(value.bucketCounts.map { .integer(Int64($0)) })
        } else {
          item["value"] = .double(value.value)
        }
        items.append(.object(item))
      }
    }
    return items.isEmpty ? nil : ["metrics": .array(items)]
  }

  /// Adds what `report` (the value of a line's `metrics`) says to `registry` under `queue`; returns how many series
  /// were taken.
  @discardableResult
  public static func merge(_ report: JSONValue, into registry: MetricRegistry, queue: String) -> Int {
    guard case .array(let items) = report else { return 0 }
    var taken = 0
    for item in items {
      guard let (descriptor, labels, value) = series(item) else { continue }
      let shown = ClipMetrics.perQueue(descriptor)
      let all = [queue] + labels
      if registry.value(shown, labels: all) == nil, registry.seriesCount(shown) >= seriesPerFamily { continue }
      registry.merge(shown, value, labels: all)
      taken += 1
    }
    return taken
  }

  private static let families = Dictionary(uniqueKeysWithValues: ClipMetrics.reported.map { ($0.name, $0) })

  private static func series(_ item: JSONValue) -> (MetricDescriptor, [String], MetricValue)? {
    guard case .object(let object) = item, case .string(let name)? = object["name"],
      let descriptor = families[name], case .array(let given)? = object["labels"]
    else { return nil }
    let labels = given.compactMap(\.stringValue)
    guard labels.count == descriptor.labels.count, labels.count == given.count,
      zip(descriptor.labels, labels).allSatisfy(allowed)
    else { return nil }
    var value = MetricValue()
    if descriptor.kind == .histogram {
      guard let sum = object["sum"]?.doubleValue, let count = object["count"]?.integerValue,
        case .array(let buckets)? = object["buckets"], buckets.count == descriptor.buckets.count
      else { return nil }
      let counts = buckets.compactMap(\.integerValue)
      guard counts.count == buckets.count, counts.allSatisfy({ $0 >= 0 }), count >= counts.reduce(0, +) else {
        return nil
      }
      value.value = sum
      value.count = UInt64(count)
      value.bucketCounts = counts.map { UInt64($0) }
    } else {
      guard let number = object["value"]?.doubleValue else { return nil }
      value.value = number
    }
    return value.value.isFinite && value.value >= 0 ? (descriptor, labels, value) : nil
  }

  private static func allowed(_ label: String, _ value: String) -> Bool {
    if let values = ClipMetrics.labelValues[label] { return values.contains(value) }
    return !value.isEmpty && value.utf8.count <= 64
      && value.unicodeScalars.allSatisfy {
        $0.isASCII && (isalnum(Int32($0.value)) != 0 || "_.-+".unicodeScalars.contains($0))
      }
  }
}
