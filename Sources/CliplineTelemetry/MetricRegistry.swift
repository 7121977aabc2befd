import Foundation

/// What a metric family is: its name (base units, `_total` for counters, `_seconds` for durations), help, labels,
/// and for a histogram its bucket bounds. Families are declared once, in `ClipMetrics`.
public struct MetricDescriptor: Sendable, Hashable {
  public enum Kind: String, Sendable { case counter, gauge, histogram }

  public let name: String
  public let help: String
  public let kind: Kind
  public let labels: [String]
  public let buckets: [Double]

  public init(_ name: String, _ kind: Kind, help: String, labels: [String] = [], buckets: [Double] = []) {
    self.name = name
    self.kind = kind
    self.help = help
    self.labels = labels
    self.buckets = kind == .histogram ? buckets.sorted() : []
  }
}

/// One series' value: a counter's or gauge's number, or a histogram's bucket counts, sum and count.
public struct MetricValue: Sendable, Equatable {
  public var value = 0.0
  public var bucketCounts: [UInt64] = []
  public var count: UInt64 = 0

  mutating func observe(_ sample: Double, bounds: [Double]) {
    if bucketCounts.count != bounds.count { bucketCounts = Array(repeating: 0, count: bounds.count) }
    // Cumulative buckets are made when written; here each observation counts in the first bucket it fits.
    if let index = bounds.firstIndex(where: { sample <= $0 }) { bucketCounts[index] += 1 }
    value += sample
    count += 1
  }

  mutating func merge(_ other: MetricValue, kind: MetricDescriptor.Kind, buckets: Int) {
    switch kind {
    case .gauge: value = other.value
    case .counter: value += other.value
    case .histogram:
      if bucketCounts.count != buckets { bucketCounts = Array(repeating: 0, count: buckets) }
      for (index, added) in other.bucketCounts.prefix(buckets).enumerated() { bucketCounts[index] += added }
      value += other.value
      count += other.count
    }
  }
}

/// The metrics of one process: families and their series, behind one lock. Updates are a dictionary lookup and an
/// addition; nothing is written anywhere until someone asks (a scrape, the textfile, the report to a consumer).
///
/// `lock` guards `series` and `order`.
public final class MetricRegistry: @unchecked Sendable {
  private let lock = NSLock()
  private var series: [MetricDescriptor: [[String]: MetricValue]] = [:]
  private var order: [MetricDescriptor] = []

  public init() {}

  /// Declares a family so that it is shown (with no series yet) before anything is recorded.
  public func declare(_ descriptor: MetricDescriptor) {
    lock.withLock { _ = entry(descriptor) }
  }

  /// Adds to a counter (or a gauge).
  public func add(_ descriptor: MetricDescriptor, _ amount: Double = 1, labels: [String] = []) {
    update(descriptor, labels) { $0.value += amount }
  }

  public func set(_ descriptor: MetricDescriptor, _ value: Double, labels: [String] = []) {
    update(descriptor, labels) { $0.value = value }
  }

  public func observe(_ descriptor: MetricDescriptor, _ sample: Double, labels: [String] = []) {
    update(descriptor, labels) { $0.observe(sample, bounds: descriptor.buckets) }
  }

  /// Adds another process's series to this one: a counter's or histogram's counts add up, a gauge takes the value.
  public func merge(_ descriptor: MetricDescriptor, _ other: MetricValue, labels: [String] = []) {
    update(descriptor, labels) { $0.merge(other, kind: descriptor.kind, buckets: descriptor.buckets.count) }
  }

  /// How many series a family has.
  public func seriesCount(_ descriptor: MetricDescriptor) -> Int {
    lock.withLock { series[descriptor]?.count ?? 0 }
  }

  /// Every family in the order it was declared, with its series sorted by label values.
  public func snapshot() -> [(MetricDescriptor, [(labels: [String], value: MetricValue)])] {
    lock.withLock {
      order.map { descriptor in
        let values = (series[descriptor] ?? [:]).sorted { $0.key.lexicographicallyPrecedes($1.key) }
        return (descriptor, values.map { (labels: $0.key, value: $0.value) })
      }
    }
  }

  /// One series' current value, for tests and for a consumer's own decisions.
  public func value(_ descriptor: MetricDescriptor, labels: [String] = []) -> MetricValue? {
    lock.withLock { series[descriptor]?[labels] }
  }

  private func update(_ descriptor: MetricDescriptor, _ labels: [String], _ change: (inout MetricValue) -> Void) {
    precondition(labels.count == descriptor.labels.count, "\(descriptor.name) takes labels \(descriptor.labels)")
    lock.withLock {
      _ = entry(descriptor)
      change(&series[descriptor, default: [:]][labels, default: MetricValue()])
    }
  }

  private func entry(_ descriptor: MetricDescriptor) -> [[String]: MetricValue] {
    if let existing = series[descriptor] { return existing }
    series[descriptor] = [:]
    order.append(descriptor)
    return [:]
  }
}
