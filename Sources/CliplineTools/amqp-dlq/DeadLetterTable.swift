import CliplineAMQP
import Foundation

/// Dead letters as a terminal table: one line each, the error cut to what fits.
struct DeadLetterTable {
  let width: Int

  static func terminalWidth() -> Int {
    var size = winsize()
    if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 120
  }

  func render(_ letters: [DeadLetter]) -> String {
    let header = ["POS", "MESSAGE ID", "QUEUE", "EXIT", "TRIES", "FAILED AT", "ERROR"]
    let rows = letters.map { letter in
      [
        String(letter.position), letter.messageID ?? "-", letter.originalQueue ?? "-",
        letter.exitCode.map(String.init) ?? "-", letter.attempts.map(String.init) ?? "-", letter.failedAt ?? "-",
        (letter.error ?? "-").split(whereSeparator: \.isNewline).joined(separator: " | "),
      ]
    }
    var widths = header.map(\.count)
    for row in rows {
      for (index, cell) in row.enumerated().dropLast() { widths[index] = max(widths[index], cell.count) }
    }
    func line(_ cells: [String]) -> String {
      var text = zip(cells.dropLast(), widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
        .joined(separator: "  ")
      text += "  " + cells.last!
      return text.count > width ? String(text.prefix(max(0, width - 1))) + "…" : text
    }
    let summary = "\(letters.count) message\(letters.count == 1 ? "" : "s"), all still on the queue\n"
    return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n" + summary
  }
}
