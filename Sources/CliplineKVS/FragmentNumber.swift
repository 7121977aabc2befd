/// A KVS fragment number: a decimal string of up to 128 digits (47 in practice) that rises with gaps. It fits neither
/// a Double nor an Int64, so it is kept as its digits and compared as a number of any length.
public struct FragmentNumber: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
  /// The digits as KVS sent them (what a StartSelector must send back).
  public let text: String
  /// The digits without leading zeros: equal numbers have equal keys.
  private let key: Substring

  public static let maximumDigits = 128

  public init?(_ text: String) {
    guard !text.isEmpty, text.utf8.count <= Self.maximumDigits,
      text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
    else { return nil }
    self.text = text
    let significant = text.drop { $0 == "0" }
    key = significant.isEmpty ? "0" : significant
  }

  public var description: String { text }

  public static func == (left: FragmentNumber, right: FragmentNumber) -> Bool { left.key == right.key }

  public func hash(into hasher: inout Hasher) { hasher.combine(key) }

  /// More digits is a larger number; among numbers of as many digits, the digits compare as text.
  public static func < (left: FragmentNumber, right: FragmentNumber) -> Bool {
    if left.key.utf8.count != right.key.utf8.count { return left.key.utf8.count < right.key.utf8.count }
    return left.key < right.key
  }

  public init(from decoder: Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let number = FragmentNumber(text) else {
      throw DecodingError.dataCorrupted(
        DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "not a fragment number: \(text)"))
    }
    self = number
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(text)
  }
}

/// An instant on a KVS clock in whole milliseconds since the epoch: KVS's resolution, exact (a Double of seconds
/// would make a window boundary depend on rounding).
public struct KVSMillis: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
  public let value: Int64

  public init(_ value: Int64) { self.value = value }

  /// KVS's decimal seconds as text (`1511852109.126`); digits past the millisecond are dropped.
  public init?(decimalSeconds text: String) {
    let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    guard let whole = parts.first, !whole.isEmpty, whole.count <= 15, let seconds = Int64(whole), seconds >= 0
    else { return nil }
    var millis: Int64 = 0
    if parts.count == 2 {
      let fraction = parts[1]
      guard fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
      let digits = String((fraction + "000").prefix(3))
      millis = Int64(digits) ?? 0
    }
    value = seconds * 1000 + millis
  }

  public var seconds: Double { Double(value) / 1000 }

  public var description: String {
    let sign = value < 0 ? "-" : ""
    let magnitude = value.magnitude
    let fraction = String(magnitude % 1000)
    return "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
  }

  public static func < (left: KVSMillis, right: KVSMillis) -> Bool { left.value < right.value }

  public init(from decoder: Decoder) throws { value = try decoder.singleValueContainer().decode(Int64.self) }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(value)
  }
}
