import CliplineSystem
import Foundation

/// Absolute times in records: RFC 3339 UTC (`2026-02-26T14:30:00Z`, fractions allowed, offsets accepted; a space
/// for the `T` and a time with no offset, read as UTC, as Python producers write them). A day, hour or offset that
/// does not exist, and an instant outside the years 0001-9999, is refused (nil), never rolled over.
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
      (1...12).contains(month), (1...days(inMonth: month, year: year)).contains(day), hour < 24, minute < 60,
      second <= 60
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
    // No offset at all: UTC, as Python's datetime.utcnow() written with json.dumps(default=str) means it.
    if index == bytes.count || expect("Zz") {
    } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
      let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
      index += 1
      guard let hours = number(2), hours < 24, expect(":"), let minutes = number(2), minutes < 60 else { return nil }
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
    let seconds = Double(timegm(&components) - offset) + fraction
    return writableSeconds.contains(seconds) ? Date(timeIntervalSince1970: seconds) : nil
  }

  /// The instants RFC 3339 can write (0001-01-01T00:00:00Z to the end of 9999), in seconds since the epoch.
  public static let writableSeconds: Range<Double> = -62_135_596_800..<253_402_300_800

  static func days(inMonth month: Int, year: Int) -> Int {
    switch month {
    case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// `2026-02-26T14:30:00Z`; with fractional digits only when the time has a fraction.
  public static func format(_ date: Date, fractionalDigits: Int = 3) -> String {
    let interval = date.timeIntervalSince1970
    var whole = time_t(interval.rounded(.down))
    var fraction = interval - Double(whole)
    let scale = pow(10.0, Double(fractionalDigits))
    var scaled = Int((fraction * scale).rounded())
    if scaled >= Int(scale), Double(whole + 1) >= writableSeconds.upperBound {
      scaled = Int(scale) - 1  // the last instant of 9999 stays in 9999
    } else if scaled >= Int(scale) {
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
