import Foundation

/// C libraries the binary does not link but opens the first time a tool needs them: one binary holds every tool,
/// and the dynamic linker would otherwise map and relocate libcurl, OpenSSL, rabbitmq-c, hiredis, FFmpeg and the
/// ~200 libraries they pull in at every start, which record-shape or amqp-pub would pay for nothing. Each library's
/// shim declares the functions Swift calls weak and its module map links nothing; `open` makes them resolvable
/// (dlopen with RTLD_GLOBAL), and lazy binding resolves each at its first call. Every wrapper's entry point (the
/// function that makes its handle) opens its library first, so no call can come before it.
public enum SharedLibraries {
  /// Opens `sonames` in order; throws `LibraryUnavailable` (78) naming the one that cannot be loaded, or a
  /// `ResourceShortage` (75) when the loader ran out of descriptors or address space.
  public static func open(_ sonames: [String], of name: String, install: String) throws {
    // With every symbol bound at start, the weak references are bound to nothing for good.
    if let bindNow = ProcessInfo.processInfo.environment["LD_BIND_NOW"], !bindNow.isEmpty {
      throw LibraryUnavailable(
        "LD_BIND_NOW is set, and \(name)'s libraries are loaded when a tool first needs them, which needs lazy "
          + "binding: unset LD_BIND_NOW")
    }
    for soname in sonames where dlopen(soname, RTLD_NOW | RTLD_GLOBAL) == nil {
      let reason = dlerror().map { String(cString: $0) } ?? "not found"
      // The loader could not open or map a library: out of descriptors (ulimit -n) or address space (ulimit -v),
      // not a broken installation.
      if reason.contains("Too many open files") { throw ResourceShortage.descriptors }
      if reason.contains("failed to map segment") || reason.contains("Cannot allocate memory") {
        throw ResourceShortage.memory(bytes: nil)
      }
      throw LibraryUnavailable("\(name)'s \(soname) cannot be loaded (\(reason)); install \(install)")
    }
  }

  /// For an entry point that cannot throw (an HTTP client's constructor, an HMAC): a library that could not be
  /// loaded ends the process as the dynamic linker would have at start, but with one sentence and its exit status
  /// (78, or 75 out of memory), never a crash on a null function.
  public static func require(_ loaded: Result<Void, any Error>) {
    guard case .failure(let error) = loaded else { return }
    let program = CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "clipline"
    StandardError.write("\(program): \(error)\n")
    exit(ExitStatus.of(error).rawValue)
  }
}

/// A C library is missing or cannot be loaded: a broken installation (78).
public struct LibraryUnavailable: Error, CustomStringConvertible, ExitStatusProviding {
  public let description: String
  public init(_ description: String) { self.description = description }
  public var exitStatus: ExitStatus { .configuration }
}
