import Foundation

/// A duration as people type it: `90`, `90s`, `250ms`, `5m`, `1h30m`, `24h`, `7d`.
public struct DurationArgument: Equatable, Sendable, CustomStringConvertible {
  public let seconds: Double

  public init(seconds: Double) { self.seconds = seconds }

  public init?(argument: String) {
    guard let seconds = DurationArgument.parse(argument) else { return nil }
    self.seconds = seconds
  }

  public var description: String { DurationArgument.format(seconds) }

  public static func parse(_ text: String) -> Double? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if let plain = Double(trimmed) { return plain >= 0 ? plain : nil }
    var total = 0.0
    var number = ""
    var unit = ""
    var sawPart = false
    func flush() -> Bool {
      guard let value = Double(number), !unit.isEmpty else { return false }
      let scale: Double
      switch unit {
      case "ms": scale = 0.001
      case "s": scale = 1
      case "m": scale = 60
      case "h": scale = 3600
      case "d": scale = 86400
      default: return false
      }
      total += value * scale
      number = ""
      unit = ""
      sawPart = true
      return true
    }
    for character in trimmed {
      if character.isNumber || character == "." {
        if !unit.isEmpty, !flush() { return nil }
        number.append(character)
      } else if character.isLetter {
        guard !number.isEmpty else { return nil }
        unit.append(character)
      } else {
        return nil
      }
    }
    guard flush(), sawPart else { return nil }
    return total
  }

  public static func format(_ seconds: Double) -> String {
    if seconds > 0, seconds.truncatingRemainder(dividingBy: 86400) == 0 { return "\(Int(seconds / 86400))d" }
    if seconds > 0, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
    if seconds > 0, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
    if seconds.rounded() == seconds { return "\(Int(seconds))s" }
    return "\(Int((seconds * 1000).rounded()))ms"
  }
}
