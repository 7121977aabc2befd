/// Input text as an error sentence quotes it: in double quotes, with quotes, backslashes, control characters and
/// invisible ones (a NUL, a byte order mark, a bidi override) written as escapes, so a message never carries raw
/// bytes to a terminal or a log. Text past `limit` characters is cut with `…`.
public func quoted(_ text: some StringProtocol, limit: Int = 200) -> String {
  var out = "\""
  var count = 0
  for scalar in text.unicodeScalars {
    if count == limit {
      out += "…"
      break
    }
    count += 1
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    default:
      switch scalar.properties.generalCategory {
      case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
        out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
      default:
        out.unicodeScalars.append(scalar)
      }
    }
  }
  return out + "\""
}
