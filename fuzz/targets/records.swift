// The record reader and the JSON codec: any bytes, split into lines, parsed, written back, parsed again.
// A value that parses must write back to text that parses to the same value and writes back the same.
import CliplineRecords
import CliplineSystem

struct Fields: Decodable {
  let name: String?
  let count: Int?
  let ratio: Double?
  let flag: Bool?
  let list: [Int]?
  let nested: [String: JSONValue]?
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  // Small reads and a small maximum, so line joins and the over-long path are reached.
  var remaining = bytes[...]
  let lines = LineReader(maximumLineLength: 512) { destination in
    let count = min(destination.count, remaining.count, 7)
    destination.copyBytes(from: remaining.prefix(count))
    remaining = remaining.dropFirst(count)
    return count
  }
  for line in RecordReader(lines: lines) {
    guard case .success(let record) = line.record else { continue }
    let text = record.jsonLine
    guard let again = try? Record(line: text.dropLast()) else { fatalError("written record does not parse: \(text)") }
    if again != record { fatalError("record changed in a round trip: \(text)") }
    if again.jsonLine != text { fatalError("record text changed in a round trip: \(text)") }
    _ = try? record.decode(Fields.self)
  }
  if let value = try? JSONParser.parse(bytes) {
    let text = JSONSerializer.bytes(value)
    guard let again = try? JSONParser.parse(text), again == value, JSONSerializer.bytes(again) == text else {
      fatalError("value changed in a round trip: \(String(decoding: text, as: UTF8.self))")
    }
  }
  return 0
}
