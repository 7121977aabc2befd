import CliplineSystem

/// Where an upload's bytes come from: a local file (`blob-put`); bytes already in memory with their SHA-256
/// (`chunk --to`), sent as the body's checksum instead of hashing them again; or a body that arrives while it
/// uploads (`kvs-clip` streaming GetClip): `produce` hands each piece to `write`, which sends it on to every
/// destination that is not a server-side copy. `name` stands for the body in messages and picks the content type
/// by its extension.
public enum UploadBody {
  case file(String)
  case memory(name: String, bytes: HeldBytes)
  case stream(name: String, produce: (UploadBodyWriter) throws -> Void)
  /// A file written front to back and sent while it was (`chunk --to`): the object it makes, and the uploads that
  /// began with it (`RecordUploader.startUploads`), nil when none did.
  case written(name: String, body: WrittenBody, started: GrowingUploads?)

  var name: String {
    switch self {
    case .file(let path): return path
    case .memory(let name, _), .stream(let name, _), .written(let name, _, _): return name
    }
  }

  /// The body as a store takes it, which can be sent again (after a refused server-side copy): a file or bytes in
  /// memory; nil for a stream, gone once sent.
  var resendable: BlobBody? {
    switch self {
    case .file(let path): return .file(path)
    case .memory(_, let bytes): return .memory(bytes)
    case .stream, .written: return nil
    }
  }
}

/// Where a streamed body's producer puts it: its length first when known (a download's Content-Length, so S3 can
/// take it in one PUT as it arrives), then its bytes.
public final class UploadBodyWriter {
  let streams: [BlobUploadStream]

  init(_ streams: [BlobUploadStream]) { self.streams = streams }

  public func expect(bytes: Int64) throws { for stream in streams { try stream.expect(bytes: bytes) } }

  public func write(_ bytes: UnsafeRawBufferPointer) throws { for stream in streams { try stream.write(bytes) } }
}
