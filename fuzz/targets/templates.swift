// Record templates: any text as a template, rendered against a fixed record.
import CliplineRecords
import CliplineSystem

let record = try! Record(json: #"{"a":"x","n":1,"d":2.5,"o":{"p":"q","l":[1,2]},"s":"{a}","e":""}"#)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  guard let template = try? RecordTemplate(text) else { return 0 }
  _ = template.fieldPaths
  _ = template.description
  _ = try? template.render(record)
  _ = try? template.render(record) { _, value in value.uppercased() }
  return 0
}
