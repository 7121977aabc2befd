// swift-tools-version:6.0
// clipline: small Unix tools that cut, store, record and queue video for AI analysis.
//
// Layers, bottom up (docs/DEVELOPING.md draws them): C modules, each behind one Swift library; CliplineSystem, which
// every library uses, and CliplineRecords, the JSON record contract; one library per concern; the CLI layer (every
// ArgumentParser type); the tools' commands in one library; the multi-call binary that installs (clipline) and one
// thin executable per tool (man pages, completions, --help). Module names are global in a SwiftPM graph, so every
// one of ours says Clipline.
import PackageDescription

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let foundations: [Target.Dependency] = ["CliplineSystem", "CliplineRecords"]

/// A tool's own executable: one line that runs its command from `library`. It exists for the manual plugin (one
/// executable product per page: target, product and binary share one name) and for development; `make install`
/// installs the multi-call binary `clipline` instead, with each tool's name as a link to it.
func tool(_ name: String) -> Target {
  .executableTarget(name: name, dependencies: ["CliplineTools", "CliplineCLI"])
}

/// One system library per C library; the module map's `shim.h` carries the inline wrappers Swift cannot import.
/// None is linked: the wrapper loads it when a tool first needs it (SharedLibraries: FFmpeg, libcurl, libcrypto,
/// rabbitmq-c, hiredis), so a tool starts without mapping and relocating the ~200 libraries they pull in. Their
/// module maps link nothing and their shims declare every function Swift calls weak; the headers are on the
/// compiler's default path (no pkg-config, which would link them).
func cLibrary(_ name: String, apt: String) -> Target {
  .systemLibrary(name: name, providers: [.apt([apt])])
}

/// A wrapper's C functions must be called through PLT slots, bound at their first call after its library is loaded.
/// Swift's own LLVM passes merge functions that differ only in the C function they call (Packet's and Frame's
/// deinits) into one that takes the C function's address from a GOT slot, bound at start, before the library is
/// loaded: null.
let callsLoadedLibraries: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-disable-swift-specific-llvm-optzns"])]

/// A library of one concern: it takes sources and sinks and knows nothing of flags. It stands on CliplineSystem and
/// names everything else it uses (CliplineRecords included).
func library(_ name: String, _ dependencies: [Target.Dependency], swiftSettings: [SwiftSetting] = []) -> Target {
  .target(name: name, dependencies: dependencies + ["CliplineSystem"], swiftSettings: swiftSettings)
}

/// Flags for one concern, in the CLI layer.
func flags(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
  .target(name: name, dependencies: dependencies + ["CliplineSystem", "CliplineCLI", argumentParser])
}

/// Tests of one subject; they may use everything below it, as the tools do, and the shared test support.
func tests(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
  .testTarget(name: name, dependencies: dependencies + foundations + ["CliplineTestSupport"])
}

let tools = [
  "chunk", "blob-put", "blob-get", "blob-rm", "amqp-pub", "amqp-consume", "amqp-dlq", "kvs-discover", "kvs-clip",
  "kvs-clip-media", "kvs-follow", "gql-mutate", "record-shape", "m0-submit", "contact-sheet",
]

/// The commit `make` builds from (the Makefile sets CLIPLINE_COMMIT), compiled into one C file for `--version`;
/// empty in a plain `swift build`.
let commit = String((Context.environment["CLIPLINE_COMMIT"] ?? "").filter(\.isHexDigit).prefix(40))

let package = Package(
  name: "clipline",
  // Linux only: the C libraries come from Debian's packages (the `apt` providers), and the code calls Linux's own
  // interfaces (xattrs, /proc, prctl). SwiftPM's `platforms` can name only Apple's, so there is none.
  products: (tools + ["clipline"]).map { .executable(name: $0, targets: [$0]) },
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // C libraries, each behind one module.
    cLibrary("CCliplineAVUtil", apt: "libavutil-dev"),
    cLibrary("CCliplineAVCodec", apt: "libavcodec-dev"),
    cLibrary("CCliplineAVFormat", apt: "libavformat-dev"),
    cLibrary("CCliplineAVFilter", apt: "libavfilter-dev"),
    cLibrary("CCliplineSwScale", apt: "libswscale-dev"),
    cLibrary("CCliplineCurl", apt: "libcurl4-openssl-dev"),
    cLibrary("CCliplineCrypto", apt: "libssl-dev"),
    cLibrary("CCliplineRabbitMQ", apt: "librabbitmq-dev"),
    cLibrary("CCliplineHiredis", apt: "libhiredis-dev"),
    .systemLibrary(name: "CCliplineXattr", path: "Sources/CCliplineXattr"),
    .systemLibrary(name: "CCliplineLinux", path: "Sources/CCliplineLinux"),
    .target(name: "CCliplineBuild", cSettings: [.define("CLIPLINE_COMMIT", to: "\"\(commit)\"")]),
    .target(name: "CCliplineCRC32C"),

    // What every library stands on: exit codes, signals, retries, work directories; the JSON record contract.
    .target(name: "CliplineSystem"),
    .target(name: "CliplineRecords", dependencies: ["CliplineSystem"]),
    // Metrics (Prometheus text, /metrics /healthz /readyz, textfiles) and traces: every tool reports through it.
    .target(name: "CliplineTelemetry", dependencies: foundations),

    // One library per concern.
    library("CliplineCrypto", ["CCliplineCrypto", "CCliplineCRC32C"], swiftSettings: callsLoadedLibraries),
    library(
      "CliplineHTTP", ["CCliplineCurl", "CliplineCrypto", "CliplineTelemetry", "CliplineRecords"],
      swiftSettings: callsLoadedLibraries),
    // Sources read while they arrive: a file a download writes, a window of memory ranged reads fill, a local file.
    library("CliplineSources", ["CliplineHTTP", "CliplineCrypto"]),
    library("CliplineAWS", ["CliplineHTTP", "CliplineCrypto", "CliplineRecords"]),
    library(
      "CliplineBlobStores",
      [
        "CliplineAWS", "CliplineHTTP", "CliplineCrypto", "CliplineSources", "CliplineRecords", "CliplineTelemetry",
        "CCliplineXattr",
      ]),
    library(
      "CliplineMedia",
      [
        "CCliplineAVUtil", "CCliplineAVCodec", "CCliplineAVFormat", "CCliplineAVFilter", "CCliplineSwScale",
        "CliplineCrypto", "CliplineRecords",
      ], swiftSettings: callsLoadedLibraries),
    library(
      "CliplineChunking",
      ["CliplineMedia", "CliplineCrypto", "CliplineSources", "CliplineRecords", "CliplineTelemetry"]),
    library(
      "CliplineAMQP",
      ["CCliplineRabbitMQ", "CCliplineLinux", "CliplineCrypto", "CliplineTelemetry", "CliplineRecords"],
      swiftSettings: callsLoadedLibraries),
    library("CliplineCache", ["CCliplineHiredis", "CliplineRecords"], swiftSettings: callsLoadedLibraries),
    library("CliplineKVS", ["CliplineAWS", "CliplineHTTP", "CliplineCache", "CliplineCrypto", "CliplineRecords"]),
    // Not CliplineMedia: kvs-clip runs its FFmpeg steps in kvs-clip-media, so it never loads FFmpeg's libraries.
    library(
      "CliplineKVSClipping",
      ["CliplineKVS", "CliplineCrypto", "CliplineBlobStores", "CliplineRecords", "CliplineTelemetry"]),
    // Live follow: GetMedia's fragments cut into windows (FFmpeg's muxer) and stored as they arrive.
    library(
      "CliplineKVSFollowing",
      [
        "CliplineKVS", "CliplineMedia", "CliplineBlobStores", "CliplineCache", "CliplineHTTP", "CliplineCrypto",
        "CliplineRecords", "CliplineTelemetry",
      ]),
    library("CliplineGraphQL", ["CliplineHTTP", "CliplineRecords", "CliplineTelemetry"]),

    // The CLI layer: common options, runTool and the exit-code mapping, and every flag group.
    .target(name: "CliplineCLI", dependencies: foundations + ["CliplineTelemetry", argumentParser]),
    flags("CliplineAWSFlags", ["CliplineAWS"]),
    flags("CliplineStorageFlags", ["CliplineAWSFlags", "CliplineBlobStores"]),
    flags("CliplineAMQPFlags", ["CliplineAMQP", "CliplineRecords"]),
    flags("CliplineKVSFlags", ["CliplineAWSFlags", "CliplineKVS", "CliplineRecords"]),

    // The tools' commands: flags parsed, the library value built, the result mapped to an exit code.
    .target(
      name: "CliplineTools",
      dependencies: foundations + [
        "CliplineCLI", argumentParser, "CliplineBlobStores", "CliplineStorageFlags", "CliplineAMQP",
        "CliplineAMQPFlags", "CliplineKVS", "CliplineCache", "CliplineKVSFlags", "CliplineKVSClipping",
        "CliplineGraphQL", "CliplineChunking", "CliplineMedia", "CliplineHTTP", "CliplineSources", "CliplineTelemetry",
        "CliplineKVSFollowing", "CCliplineBuild",
      ]),
    // What make install installs: every tool in one binary, each tool's name a link to it.
    .executableTarget(name: "clipline", dependencies: ["CliplineTools", "CliplineCLI", argumentParser]),
  ] + tools.map(tool) + [

    // Tests (Tests/README.md): one target of library tests per module, named for it, and one target of end-to-end
    // runs of the built tools per tool family. The services each needs are declared in CliplineTestSupport's
    // TestTargets.swift.
    .target(
      name: "CliplineTestSupport",
      dependencies: foundations + [
        "CliplineAMQP", "CliplineAWS", "CliplineBlobStores", "CliplineCache", "CliplineHTTP", "CliplineKVS",
      ],
      path: "Tests/CliplineTestSupport"),
    tests("CliplineSystemTests", []),
    tests("CliplineTelemetryTests", ["CliplineTelemetry"]),
    tests("CliplineRecordsTests", []),
    tests("CliplineCryptoTests", ["CliplineCrypto"]),
    tests("CliplineSourcesTests", ["CliplineSources"]),
    tests("CliplineAWSTests", ["CliplineAWS", "CliplineHTTP", "CliplineCrypto"]),
    tests(
      "CliplineBlobStoresTests",
      ["CliplineBlobStores", "CliplineAWS", "CliplineHTTP", "CliplineCrypto", "CliplineSources"]),
    tests("CliplineMediaTests", ["CliplineMedia", "CliplineHTTP", "CliplineCrypto"]),
    tests(
      "CliplineChunkingTests",
      ["CliplineChunking", "CliplineMedia", "CliplineBlobStores", "CliplineCrypto", "CliplineSources"]),
    tests("CliplineAMQPTests", ["CliplineAMQP"]),
    tests("CliplineCacheTests", ["CliplineCache"]),
    tests("CliplineKVSTests", ["CliplineKVS", "CliplineAWS", "CliplineHTTP"]),
    tests("CliplineKVSClippingTests", ["CliplineKVSClipping", "CliplineKVS"]),
    tests("CliplineKVSFollowingTests", ["CliplineKVSFollowing", "CliplineKVS"]),
    tests("CliplineGraphQLTests", ["CliplineGraphQL", "CliplineHTTP"]),
    tests(
      "ChunkEndToEndTests",
      ["CliplineChunking", "CliplineMedia", "CliplineBlobStores", "CliplineCrypto", "CliplineSources"]),
    tests("BlobEndToEndTests", ["CliplineBlobStores", "CliplineAWS"]),
    tests("AMQPEndToEndTests", ["CliplineAMQP"]),
    tests("KVSEndToEndTests", ["CliplineKVS", "CliplineCache", "CliplineAWS", "CliplineBlobStores", "CliplineCrypto"]),
    tests("GQLMutateEndToEndTests", []),
    tests("RecordShapeEndToEndTests", []),
    tests("ToolDocsTests", ["CliplineTools"]),
  ],
  swiftLanguageModes: [.v6]
)
