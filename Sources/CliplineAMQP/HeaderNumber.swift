import CliplineRecords

/// A record's number as a header that every client reads back with its value. A double header is exact on the wire,
/// but pika (the seed's client) turns it into an integer (30.01 becomes 30), so a number with a fraction or an
/// exponent goes as an AMQP decimal when its digits fit one (a scale and a signed 32-bit value), as an integer
/// when it has no fraction, and as a double only when neither holds.
enum HeaderNumber {
  static func field(_ value: JSONValue) -> FieldValue {
    switch value {
    case .double(let number) where number.isFinite: return field(text: String(number)) ?? .double(number)
    case .number(let text): return field(text: text) ?? FieldValue(json: value)
    default: return FieldValue(json: value)
    }
  }

  /// JSON number text as an integer or a decimal of the same value; nil when neither holds it.
  static func field(text: String) -> FieldValue? {
    let lowered = text.lowercased()
    let parts = lowered.split(separator: "e", maxSplits: 1, omittingEmptySubsequences: false)
    guard let mantissa = parts.first, let exponent = parts.count == 2 ? Int(parts[1]) : 0 else { return nil }
    let negative = mantissa.hasPrefix("-")
    let unsigned = negative ? mantissa.dropFirst() : mantissa[...]
    let pieces = unsigned.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    let fraction = pieces.count == 2 ? pieces[1] : ""
    var digits = String(pieces[0] + fraction)
    var scale = fraction.count - exponent
    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
    if scale < 0 {
      digits += String(repeating: "0", count: -scale)
      scale = 0
    }
    let trimmed = digits.drop { $0 == "0" }
    let magnitude = trimmed.isEmpty ? "0" : String(trimmed)
    if scale == 0, let whole = Int64((negative ? "-" : "") + magnitude) {
      return .int64(whole)
    }
    guard scale <= Int(UInt8.max), let signed = Int32((negative ? "-" : "") + magnitude) else { return nil }
    return .decimal(scale: UInt8(scale), value: UInt32(bitPattern: signed))
  }
}
