import CliplineHTTP
import CliplineRecords
import CliplineSystem
import Foundation

/// Sends GraphQL requests over one reused connection: bearer token and extra headers on every request, transport
/// failures, 5xx and 429 retried with backoff (honouring Retry-After), answers checked for GraphQL protocol errors.
public final class GraphQLClient {
  public struct Configuration: Sendable {
    public var endpoint: String
    /// Sent as `Authorization: Bearer …` unless a header already sets Authorization.
    public var token: String?
    public var headers: [(name: String, value: String)]
    /// Whole-request limit in seconds.
    public var timeout: Double
    public var retry: RetryPolicy

    public init(
      endpoint: String, token: String? = nil, headers: [(name: String, value: String)] = [], timeout: Double = 30,
      retry: RetryPolicy = RetryPolicy()
    ) {
      self.endpoint = endpoint
      self.token = token
      self.headers = headers
      self.timeout = timeout
      self.retry = retry
    }
  }

  public let configuration: Configuration
  private let http: HTTPClient
  private let diagnostics: Diagnostics?

  public init(_ configuration: Configuration, http: HTTPClient = HTTPClient(), diagnostics: Diagnostics? = nil) {
    self.configuration = configuration
    self.http = http
    self.diagnostics = diagnostics
  }

  /// POSTs one document and returns the response object (`data` and maybe `errors`). Errors listed in a 2xx
  /// answer are returned, not thrown: with several operations in one request each has its own.
  public func execute(
    document: String, variables: [String: JSONValue], operationName: String?, label: String
  ) throws -> [String: JSONValue] {
    var body: [String: JSONValue] = ["query": .string(document), "variables": .object(variables)]
    if let operationName { body["operationName"] = .string(operationName) }
    var request = HTTPRequest(
      method: "POST", url: configuration.endpoint,
      headers: [
        ("Content-Type", "application/json"),
        ("Accept", "application/graphql-response+json, application/json;q=0.9"),
      ],
      body: .bytes(JSONSerializer.bytes(.object(body))), timeout: configuration.timeout)
    if let token = configuration.token { request.setHeader("Authorization", "Bearer \(token)") }
    for (name, value) in configuration.headers { request.setHeader(name, value) }

    return try configuration.retry.run(
      isRetryable: isRetryableHTTPFailure,
      onRetry: { [diagnostics] error, attempt, delay in
        diagnostics?.warning(
          "operation \(label), attempt \(attempt) failed: \(describe(error)); retrying in \(formatSeconds(delay))")
      },
      { _ in try self.answer(to: request, label: label) }
    )
  }

  private func answer(to request: HTTPRequest, label: String) throws -> [String: JSONValue] {
    let response = try http.send(request)
    let parsed = try? JSONParser.parse(response.body)
    let object = parsed?.objectValue
    let isGraphQLResponse = object.map { $0["data"] != nil || $0["errors"] != nil } ?? false
    switch response.status {
    case 200..<300:
      guard isGraphQLResponse, let object else {
        throw GraphQLProtocolError(url: request.url, status: response.status, excerpt: Self.excerpt(response))
      }
      return object
    case 401, 403, 408, 425, 429, 500...599:
      // Keep the server's own words (its `errors` messages) in the diagnostic; the status decides the exit code.
      let messages = object?["errors"]?.arrayValue?.map { GraphQLErrorEntry($0).message }.joined(separator: "; ")
      throw HTTPStatusError(
        status: response.status, url: request.url, bodyExcerpt: messages ?? Self.excerpt(response),
        retryAfter: response.header("Retry-After").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) })
    default:
      // GraphQL over HTTP answers a request it cannot run (a document that does not validate, variables that do
      // not coerce) with 4xx and `errors`: the request is wrong, as with errors in a 200.
      if isGraphQLResponse, let errors = object?["errors"]?.arrayValue, !errors.isEmpty {
        throw GraphQLResponseError(operation: label, errors: errors.map(GraphQLErrorEntry.init))
      }
      _ = try response.checked()
      throw GraphQLProtocolError(url: request.url, status: response.status, excerpt: Self.excerpt(response))
    }
  }

  private static func excerpt(_ response: HTTPResponse) -> String {
    String(response.bodyText.prefix(300)).replacingOccurrences(of: "\n", with: " ")
  }
}

func formatSeconds(_ seconds: Double) -> String {
  seconds < 10 ? String(format: "%.2f s", seconds) : String(format: "%.0f s", seconds)
}
