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
    default: out += escapedIfInvisible(scalar) ?? String(scalar)
    }
  }
  return out + "\""
}

/// A diagnostic as one line of visible text: every control or invisible character named as `quoted` names it
/// (`\n`, `\u{1B}`), everything else as it is. A refused value with a newline cannot split the line (and forge a
/// second `tool: error` line in a log), nor a NUL or an ESC reach the terminal.
public func namingInvisibles(_ text: String) -> String {
  guard text.unicodeScalars.contains(where: { escapedIfInvisible($0) != nil }) else { return text }
  var out = ""
  for scalar in text.unicodeScalars { out += escapedIfInvisible(scalar) ?? String(scalar) }
  return out
}

/// The escape for a control or invisible character; nil for one that prints.
private func escapedIfInvisible(_ scalar: Unicode.Scalar) -> String? {
  switch scalar {
  case "\n": return "\\n"
  case "\r": return "\\r"
  case "\t": return "\\t"
  default:
    switch scalar.properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
      return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
    default:
      return nil
    }
  }
}
