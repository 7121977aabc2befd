/// The services each test target talks to: start these (`scripts/services start NAMES`) to run the target alone.
/// Library tests are named for their module, end-to-end runs of the built tools for their tool family.
/// `TestServices.require` refuses a variable of a service its caller's target does not list here.
enum TestTargets {
  static let services: [String: [TestService]] = [
    // Library tests, one target per module.
    "CliplineSystemTests": [],
    "CliplineRecordsTests": [],
    "CliplineCryptoTests": [],
    "CliplineSourcesTests": [],
    "CliplineAWSTests": [],
    "CliplineBlobStoresTests": [.s3, .azureBlob],
    "CliplineMediaTests": [],
    "CliplineChunkingTests": [],
    "CliplineAMQPTests": [.rabbitmq],
    "CliplineCacheTests": [],
    "CliplineKVSTests": [.kvs],
    "CliplineKVSClippingTests": [],
    "CliplineKVSFollowingTests": [],
    "CliplineGraphQLTests": [],
    "CliplineTelemetryTests": [],
    // End-to-end runs of the built tools, one target per tool family.
    "ChunkEndToEndTests": [.s3, .azureBlob],
    "BlobEndToEndTests": [.s3, .azureBlob],
    "AMQPEndToEndTests": [.rabbitmq],
    "KVSEndToEndTests": [.kvs, .redis, .s3, .graphql, .rabbitmq],
    "GQLMutateEndToEndTests": [.graphql],
    "RecordShapeEndToEndTests": [],
    "ToolDocsTests": [.rabbitmq],
  ]
}
