// The XML scanner the S3 and Azure responses go through: any bytes as a document.
import CliplineAWS

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let scanner = XMLScanner(Array(UnsafeBufferPointer(start: data, count: size)))
  for name in ["Error", "Code", "Contents", "Key", "a", ""] {
    _ = scanner.text(name)
    for nested in scanner.scanners(name) {
      _ = nested.text("Key")
      _ = nested.elements("Size")
    }
  }
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  if XMLScanner.unescape(XMLScanner.escape(text)) != text { fatalError("escape does not round-trip: \(text)") }
  _ = XMLScanner.unescape(text)
  return 0
}
