import ArgumentParser
import CliplineCLI
import CliplineGraphQL
import CliplineRecords
import CliplineSystem
import Foundation

struct GQLMutate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gql-mutate",
    abstract: "Send a GraphQL operation for each record and write the record on, with values from the response.",
    discussion: """
      For each input record (one JSON object a line), POSTs an operation to the GraphQL endpoint, with variables \
      taken from the record's fields, and writes the record to stdout with the response values --merge asks for. \
      Records pass through: every input field reaches the output.

      VARIABLES (--var, repeatable): name=field.path takes a record field (dotted paths reach nested fields); \
      name=field.path // JSON gives a default when the field is missing or null; name:=JSON is a literal. A dotted \
      name fills an input object: --var input.chunkHash=chunk_hash. A record missing a field is reported with its \
      line and the field, and nothing is sent for it.

      MERGING (--merge, repeatable): field=data.path copies a response value into the record (data.createJob.id).

      BUILT-IN OPERATIONS (examples/backend/schema.graphql is the schema they assume). Each picks the batch or the \
      live mutation from inference_modality (batch|live).

      --op create-chunk sends createBatchChunk or createLiveChunk. Reads process_id, chunk_hash, chunk_duration, \
      start_time, end_time, time_offset, cloud_stream_path (the stored chunk's own URL, set by blob-put; sent as \
      cloudPath), and for live chunks chunk_start_time and chunk_end_time (RFC 3339). Writes chunk_record_id (the \
      row's id). A record without cloud_stream_path, or whose cloud_stream_path equals its source_stream_path \
      (the source video), is refused with exit 65 and nothing is sent for it.

      --op set-status --status PROCESSING|COMPLETED|FAILED sends updateBatchVideoProcessingStatus or \
      updateCamVideoProcessingStatus. Reads process_id. Writes processing_status.

      --var and --merge given with --op add to (or replace) the built-in ones.

      --at-end: records pass through untouched, and one operation is sent after the input ends, with the fields of \
      the last record (and --field values over them). With no input at all, the record is made from --field values \
      and written with the merged response values.

      --batch N sends up to N records' operations in one request as aliases of one document; a batch goes out when \
      it is full or when no more input is waiting. Each record still gets its own result and its own errors.

      DRY RUN: --dry-run checks each record as a real run does (a missing field or a refused record fails the \
      same way), says on stderr the operation and its variables it would send, one line per record, and writes \
      the record on marked "dry_run": true, without response values; nothing is sent.

      ENVIRONMENT: GRAPHQL_ENDPOINT (the endpoint, unless --endpoint), GRAPHQL_TOKEN (sent as Authorization: \
      Bearer, never printed).

      ERRORS: transport failures, timeouts, 5xx and 429 are retried with backoff (Retry-After honoured), then exit \
      75 (69 when the endpoint never answers). A response with errors names the operation, the path and the \
      server's message: exit 65, no retry; later records go on. 401/403: exit 77. Mutations are retried after a \
      timeout, so the backend must make them idempotent (the schema's chunk mutations are, on processId + chunkHash).

      EXAMPLES:
        chunk --to 's3://b/{process_id}/{chunk_id:03}.mp4=cloud_stream_path' \\
          | gql-mutate --op create-chunk | amqp-pub --queue M0_RESULTS_QUEUE
        ... | gql-mutate --op set-status --status PROCESSING --at-end
        gql-mutate --op set-status --status FAILED --at-end \\
          --field process_id:=101 --field inference_modality=batch
        gql-mutate --query 'mutation($n: String!) { createJob(name: $n) { id } }' \\
          --var n=camera_id --merge job_id=data.createJob.id

      \(ExitStatus.documentation)
      """,
    version: "gql-mutate " + cliplineVersion)

  @OptionGroup var common: CommonOptions

  @Option(help: "The GraphQL endpoint URL (default: $GRAPHQL_ENDPOINT).")
  var endpoint: String?

  @Option(help: "A built-in operation (see BUILT-IN OPERATIONS).")
  var op: BuiltInOperation?

  @Option(help: "The status --op set-status sets.")
  var status: ProcessingStatus?

  @Option(help: "The operation's document.")
  var query: String?

  @Option(help: "A file holding the operation's document.", completion: .file(extensions: ["graphql", "gql"]))
  var queryFile: String?

  @Option(name: .customLong("var"), help: "name=field.path, name=field.path // DEFAULT_JSON, or name:=JSON.")
  var variables: [String] = []

  @Option(help: "field=data.path: a response value to write into the record.")
  var merge: [String] = []

  @Flag(help: "Send one operation after the input ends instead of one per record.")
  var atEnd = false

  @Option(help: "With --at-end: a field for the operation's record, name=text or name:=JSON.")
  var field: [String] = []

  @Option(name: [.customShort("H"), .long], help: "An extra request header, \"Name: value\" (as curl -H).")
  var header: [String] = []

  @Flag(help: "Say each operation and its variables on stderr, mark records \"dry_run\": true; send nothing.")
  var dryRun = false

  @Option(help: "Operations per request (aliases of one document).")
  var batch = 1

  @Option(help: "Time limit of one request (30s, 2m; 1ms to 1h).")
  var timeout = DurationArgument(seconds: 30)

  @Option(help: "Attempts per request for temporary failures (transport, 5xx, 429).")
  var attempts = 5

  func validate() throws {
    try timeout.check("--timeout", within: 0.001...3600)
    if header.contains(where: { $0.lowercased().hasPrefix("authorization:") }) {
      SecretFlags.note("-H Authorization", saferWays: "GRAPHQL_TOKEN in the environment")
    }
    // libcurl sends a URL's user and password as Basic credentials.
    SecretFlags.noteURLPassword("--endpoint", endpoint, saferWays: "GRAPHQL_ENDPOINT in the environment")
    if let endpoint { try Self.checked(endpoint, from: "--endpoint") }
    let sources = [op != nil, query != nil, queryFile != nil].filter { $0 }.count
    guard sources == 1 else {
      throw ValidationError("Give exactly one of --op, --query and --query-file.")
    }
    if op == .setStatus {
      guard status != nil else {
        throw ValidationError("--op set-status needs --status PROCESSING, COMPLETED or FAILED.")
      }
    } else if status != nil {
      throw ValidationError("--status goes with --op set-status only.")
    }
    if !field.isEmpty && !atEnd { throw ValidationError("--field goes with --at-end only.") }
    if atEnd && batch != 1 { throw ValidationError("--at-end sends one operation; drop --batch.") }
    guard batch >= 1, batch <= 1000 else { throw ValidationError("--batch must be between 1 and 1000.") }
    try check(attempts, "--attempts", within: 1...20)
    do {
      _ = try variables.map(VariableBinding.init(parsing:))
      _ = try merge.map(MergeRule.init(parsing:))
      _ = try field.map(FlagValues.field)
      _ = try header.map(FlagValues.header)
    } catch {
      throw ValidationError(describe(error))
    }
  }

  func run() throws {
    let diagnostics = common.diagnostics(tool: "gql-mutate")
    try runTool(diagnostics) {
      guard let endpoint = Settings.resolve(flag: endpoint, environment: "GRAPHQL_ENDPOINT") else {
        throw ConfigurationMissing("no GraphQL endpoint: set GRAPHQL_ENDPOINT or pass --endpoint")
      }
      try Self.checked(endpoint, from: self.endpoint != nil ? "--endpoint" : "$GRAPHQL_ENDPOINT")
      let client = GraphQLClient(
        .init(
          endpoint: endpoint, token: Settings.environment("GRAPHQL_TOKEN"),
          headers: try header.map(FlagValues.header), timeout: timeout.seconds,
          retry: RetryPolicy(attempts: attempts)),
        diagnostics: diagnostics)
      let input = IdleAwareInput()
      let runner = try MutationRunner(
        choice: try operationChoice(), client: client, writer: RecordWriter(), diagnostics: diagnostics,
        options: .init(
          batchSize: batch, atEnd: atEnd, dryRun: dryRun,
          atEndFields: Dictionary(try field.map(FlagValues.field), uniquingKeysWith: { _, last in last })))
      try runner.run(input.records(), input: input)
    }
  }

  /// Refuses at start an endpoint no request could go to, rather than at the first record (or never, with no input).
  private static func checked(_ endpoint: String, from source: String) throws {
    guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
      let host = url.host, !host.isEmpty
    else {
      throw ValidationError("\(source) \(SecretRedaction.url(endpoint)) is not an http:// or https:// URL.")
    }
  }

  private func operationChoice() throws -> OperationChoice {
    let bindings = try variables.map(VariableBinding.init(parsing:))
    let merges = try merge.map(MergeRule.init(parsing:))
    if let op {
      return try BuiltInOperations.choice(op, status: status).adding(bindings: bindings, merges: merges)
    }
    let document: String
    if let queryFile {
      document = try String(contentsOfFile: queryFile, encoding: .utf8)
    } else {
      document = query ?? ""
    }
    return .always(try OperationTemplate(operation: GraphQLOperation(document), bindings: bindings, merges: merges))
  }
}

/// A setting the tool cannot run without (exit 78).
struct ConfigurationMissing: Error, CustomStringConvertible, ExitStatusProviding {
  let description: String
  init(_ description: String) { self.description = description }
  var exitStatus: ExitStatus { .configuration }
}

extension BuiltInOperation: ExpressibleByArgument {}
extension ProcessingStatus: ExpressibleByArgument {}
