// swift-tools-version:6.0
// clipline: small Unix tools that cut, store, record and queue video for AI analysis.
import PackageDescription

/// One system library per C library; the module map's `shim.h` carries the inline wrappers Swift cannot import.
func cLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
  .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

/// A tool is a thin executable: its target, product and binary share one name (the manual plugin needs that).
func tool(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
  .executableTarget(name: name, dependencies: dependencies + ["ToolSupport", argumentParser])
}

let package = Package(
  name: "clipline",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "chunk", targets: ["chunk"]),
    // MARK: products, storage (issue 3)
    .executable(name: "blob-put", targets: ["blob-put"]),
    .executable(name: "blob-get", targets: ["blob-get"]),
    .executable(name: "blob-rm", targets: ["blob-rm"]),
    // MARK: products, AMQP (issue 4)
    .executable(name: "amqp-pub", targets: ["amqp-pub"]),
    .executable(name: "amqp-consume", targets: ["amqp-consume"]),
    // MARK: products, KVS (issue 5)
    .executable(name: "kvs-discover", targets: ["kvs-discover"]),
    .executable(name: "kvs-clip", targets: ["kvs-clip"]),
    // MARK: products, GraphQL (issue 6)
    .executable(name: "gql-mutate", targets: ["gql-mutate"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    // C libraries, each behind one module.
    cLibrary("CAVUtil", pkgConfig: "libavutil", apt: "libavutil-dev"),
    cLibrary("CAVCodec", pkgConfig: "libavcodec", apt: "libavcodec-dev"),
    cLibrary("CAVFormat", pkgConfig: "libavformat", apt: "libavformat-dev"),
    cLibrary("CAVFilter", pkgConfig: "libavfilter", apt: "libavfilter-dev"),
    cLibrary("CSwScale", pkgConfig: "libswscale", apt: "libswscale-dev"),
    cLibrary("CCurl", pkgConfig: "libcurl", apt: "libcurl4-openssl-dev"),
    cLibrary("CLibCrypto", pkgConfig: "libcrypto", apt: "libssl-dev"),
    cLibrary("CRabbitMQ", pkgConfig: "librabbitmq", apt: "librabbitmq-dev"),
    cLibrary("CHiredis", pkgConfig: "hiredis", apt: "libhiredis-dev"),

    // Libraries, one per concern.
    .target(name: "ToolSupport", dependencies: [argumentParser]),
    .target(name: "Hashing", dependencies: ["CLibCrypto"]),
    .target(name: "HTTP", dependencies: ["CCurl", "ToolSupport"]),
    .target(name: "BlobStores", dependencies: ["AWS", "HTTP", "Hashing", "ToolSupport", argumentParser]),
    .target(name: "Media", dependencies: ["CAVUtil", "CAVCodec", "CAVFormat", "CAVFilter", "CSwScale", "ToolSupport"]),
    .target(name: "Chunking", dependencies: ["Media", "Hashing", "BlobStores", "ToolSupport"]),

    // Tools.
    tool("chunk", ["Chunking"]),

    // MARK: targets, storage (issue 3)
    .target(name: "AWS", dependencies: ["HTTP", "Hashing", "ToolSupport"]),
    tool("blob-put", ["BlobStores"]),
    tool("blob-get", ["BlobStores"]),
    tool("blob-rm", ["BlobStores"]),
    // MARK: targets, AMQP (issue 4)
    .target(name: "AMQP", dependencies: ["CRabbitMQ", "ToolSupport", argumentParser]),
    tool("amqp-pub", ["AMQP"]),
    tool("amqp-consume", ["AMQP"]),
    // MARK: targets, KVS (issue 5)
    .target(name: "KVS", dependencies: ["AWS", "HTTP", "Cache", "ToolSupport", argumentParser]),
    .target(name: "KVSClipping", dependencies: ["KVS", "Media", "Hashing", "ToolSupport"]),
    .target(name: "Cache", dependencies: ["CHiredis", "ToolSupport"]),
    tool("kvs-discover", ["KVS", "Cache"]),
    tool("kvs-clip", ["KVS", "KVSClipping", "Media"]),
    // MARK: targets, GraphQL (issue 6)
    .target(name: "GraphQL", dependencies: ["HTTP", "ToolSupport"]),
    tool("gql-mutate", ["GraphQL"]),

    // Tests.
    .target(name: "TestSupport", dependencies: ["ToolSupport"], path: "Tests/TestSupport"),
    .testTarget(name: "ToolSupportTests", dependencies: ["ToolSupport", "TestSupport"]),
    .testTarget(name: "HashingTests", dependencies: ["Hashing"]),
    .testTarget(name: "ChunkingTests", dependencies: ["Chunking", "Media", "TestSupport"]),
    .testTarget(name: "ToolDocsTests", dependencies: ["TestSupport"]),
    // MARK: tests, storage (issue 3)
    .testTarget(name: "AWSTests", dependencies: ["AWS", "HTTP", "Hashing", "ToolSupport", "TestSupport"]),
    .testTarget(
      name: "BlobStoresTests", dependencies: ["BlobStores", "AWS", "HTTP", "Hashing", "ToolSupport", "TestSupport"]),
    // MARK: tests, AMQP (issue 4)
    .testTarget(name: "AMQPTests", dependencies: ["AMQP", "ToolSupport", "TestSupport"]),
    // MARK: tests, KVS (issue 5)
    .testTarget(
      name: "KVSTests", dependencies: ["KVS", "KVSClipping", "Cache", "Media", "AWS", "HTTP", "ToolSupport", "TestSupport"]),
    // MARK: tests, GraphQL (issue 6)
    .testTarget(name: "GraphQLTests", dependencies: ["GraphQL", "HTTP", "TestSupport"]),
  ],
  swiftLanguageModes: [.v5]
)
