import CliplineSystem
import Foundation

/// Absolute times in records: RFC 3339 UTC (`2026-02-26T14:30:00Z`, fractions allowed, offsets accepted).
public enum RFC3339 {
  public static func parse(_ text: String) -> Date? {
    let bytes = Array(text.utf8)
    var index = 0
    func number(_ digits: Int) -> Int? {
      guard index + digits <= bytes.count else { return nil }
      var value = 0
      for _ in 0..<digits {
        let byte = bytes[index]
        guard byte >= 0x30, byte <= 0x39 else { return nil }
        value = value * 10 + Int(byte - 0x30)
        index += 1
      }
      return value
    }
    func expect(_ characters: String) -> Bool {
      guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
      index += 1
      return true
    }
    guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
      expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2),
      (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
    else { return nil }
    var fraction = 0.0
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      index += 1
      var scale = 0.1
      let start = index
      while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
        fraction += Double(bytes[index] - 0x30) * scale
        scale /= 10
        index += 1
      }
      guard index > start else { return nil }
    }
    var offset = 0
    if expect("Zz") {
      offset = 0
    } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
      let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
      index += 1
      guard let hours = number(2), expect(":"), let minutes = number(2) else { return nil }
      offset = sign * (hours * 3600 + minutes * 60)
    } else {
      return nil
    }
    guard index == bytes.count else { return nil }
    var components = tm()
    components.tm_year = Int32(year - 1900)
    components.tm_mon = Int32(month - 1)
    components.tm_mday = Int32(day)
    components.tm_hour = Int32(hour)
    components.tm_min = Int32(minute)
    components.tm_sec = Int32(second)
    let epoch = timegm(&components)
    return Date(timeIntervalSince1970: Double(epoch - offset) + fraction)
  }

  /// `2026-02-26T14:30:00Z`; with fractional digits only when the time has a fraction.
  public static func format(_ date: Date, fractionalDigits: Int = 3) -> String {
    let interval = date.timeIntervalSince1970
    var whole = time_t(interval.rounded(.down))
    var fraction = interval - Double(whole)
    let scale = pow(10.0, Double(fractionalDigits))
    var scaled = Int((fraction * scale).rounded())
    if scaled >= Int(scale) {
      whole += 1
      scaled = 0
      fraction = 0
    }
    var components = tm()
    gmtime_r(&whole, &components)
    var text = String(
      format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(components.tm_year) + 1900, Int(components.tm_mon) + 1,
      Int(components.tm_mday), Int(components.tm_hour), Int(components.tm_min), Int(components.tm_sec))
    if fractionalDigits > 0, scaled > 0 {
      var digits = String(scaled)
      digits = String(repeating: "0", count: fractionalDigits - digits.count) + digits
      while digits.hasSuffix("0") { digits.removeLast() }
      text += "." + digits
    }
    return text + "Z"
  }
}
