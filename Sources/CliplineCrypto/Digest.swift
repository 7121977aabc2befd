internal import CCliplineCrypto
import CliplineSystem
import Foundation

/// A streaming message digest (SHA-256, SHA-1, MD5) on one EVP_MD_CTX, or a CRC-32C (`CRC32C`).
public final class Digest {
  public enum Algorithm: Sendable {
    /// `crc32c` is a checksum, not a digest: the one S3 checks parts against, for a fraction of SHA-256's CPU.
    case sha256, sha1, md5, crc32c
  }

  /// The EVP context, or nil for a CRC-32C, whose whole state is `crc`.
  private let context: OpaquePointer?
  private var crc: UInt32 = 0

  public init(_ algorithm: Algorithm = .sha256) throws {
    try OpenSSLProcessSetup.load()
    let md: OpaquePointer?
    switch algorithm {
    case .sha256: md = EVP_sha256()
    case .sha1: md = EVP_sha1()
    case .md5: md = EVP_md5()
    case .crc32c:
      context = nil
      return
    }
    context = try Digest.open(md)
  }

  /// A digest by OpenSSL's name for it ("SHA512", "SHA3-256", …); an unknown name is a CryptoError.
  public init(named name: String) throws {
    try OpenSSLProcessSetup.load()
    context = try Digest.open(EVP_get_digestbyname(name))
  }

  /// An initialised context; freed here if initialising fails, so `deinit` is the only other free.
  private static func open(_ md: OpaquePointer?) throws -> OpaquePointer {
    guard let context = EVP_MD_CTX_new() else { throw CryptoError.last("EVP_MD_CTX_new") }
    guard md != nil, EVP_DigestInit_ex(context, md, nil) == 1 else {
      EVP_MD_CTX_free(context)
      throw md == nil
        ? CryptoError(operation: "EVP_get_digestbyname", message: "unknown digest")
        : CryptoError.last("EVP_DigestInit_ex")
    }
    return context
  }

  deinit { if let context { EVP_MD_CTX_free(context) } }

  public func update(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count > 0 else { return }
    guard let context else {
      crc = CRC32C.checksum(bytes, continuing: crc)
      return
    }
    EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
  }

  public func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
    bytes.withUnsafeBytes { update($0) }
  }

  public func update(_ text: String) { update(Array(text.utf8)) }

  /// The digest; the hasher cannot be updated afterwards.
  public func finish() -> [UInt8] {
    guard let context else { return CRC32C.bytes(crc) }
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    EVP_DigestFinal_ex(context, &out, &length)
    return Array(out.prefix(Int(length)))
  }

  public static func sha256<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
    _ = OpenSSLProcessSetup.done  // a libcrypto that cannot be loaded ends the process with a sentence, not here
    let digest = try! Digest(.sha256)
    digest.update(bytes)
    return digest.finish()
  }

  public static func sha256(_ text: String) -> [UInt8] { sha256(Array(text.utf8)) }

  /// The MD5 Azure checks a body against (Content-MD5), and S3 a tagging or lifecycle document.
  public static func md5<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
    _ = OpenSSLProcessSetup.done
    let digest = try! Digest(.md5)
    digest.update(bytes)
    return digest.finish()
  }

  /// CRC-32C of `bytes`, as S3 carries it (four bytes, big-endian).
  public static func crc32c<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] { CRC32C.bytes(CRC32C.checksum(bytes)) }

  /// Digest of a whole file, read in 1 MiB pieces into one buffer.
  public static func ofFile(_ path: String, _ algorithm: Algorithm = .sha256) throws -> [UInt8] {
    let handle = try LocalFile.openForReading(path)
    defer { try? handle.close() }
    let digest = try Digest(algorithm)
    try FileDescriptorIO.readRange(handle.fileDescriptor) { digest.update($0) }
    return digest.finish()
  }
}

/// HMAC-SHA256, as SigV4 and Azure SharedKey sign with it.
public enum HMAC {
  public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
    _ = OpenSSLProcessSetup.done
    var out = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 0
    key.withUnsafeBytes { keyBytes in
      message.withUnsafeBytes { messageBytes in
        _ = CCliplineCrypto.HMAC(
          EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
          messageBytes.bindMemory(to: UInt8.self).baseAddress, messageBytes.count, &out, &length)
      }
    }
    return Array(out.prefix(Int(length)))
  }

  public static func sha256(key: [UInt8], message: String) -> [UInt8] { sha256(key: key, message: Array(message.utf8)) }
}

extension Array where Element == UInt8 {
  /// Lower-case hexadecimal, as SHA-256 hashes appear in records.
  public var hexString: String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(count * 2)
    for byte in self {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  public var base64String: String { Data(self).base64EncodedString() }
}
