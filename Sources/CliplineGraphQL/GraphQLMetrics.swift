import CliplineRecords
import CliplineTelemetry
import Foundation

/// What gql-mutate's requests add to the tool's figures (`ToolMetrics`): each operation by its name and outcome
/// (`ok`, `error`: the response carried errors for it, `failed`: the request itself failed), and each request's
/// time as one step of the record stage.
enum GraphQLMetrics {
  static func requested(_ items: [PreparedOperation], outcomes: [Result<JSONValue, Error>], since start: Date) {
    ToolMetrics.stage(.record, since: start)
    for (item, outcome) in zip(items, outcomes) {
      let result: String
      if case .success = outcome { result = "ok" } else { result = "error" }
      count(item, result)
    }
  }

  static func failed(_ items: [PreparedOperation], since start: Date) {
    ToolMetrics.stage(.record, since: start)
    for item in items { count(item, "failed") }
  }

  private static func count(_ item: PreparedOperation, _ outcome: String) {
    ToolMetrics.registry.add(ClipMetrics.graphQLRequests, labels: [item.template.operation.label, outcome])
  }
}
