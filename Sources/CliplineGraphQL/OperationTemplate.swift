import CliplineRecords
import CliplineSystem

/// An operation with the record fields its variables come from and the response values merged back into the record.
public struct OperationTemplate: Equatable, Sendable {
  public let operation: GraphQLOperation
  public let bindings: [VariableBinding]
  public let merges: [MergeRule]
  /// Records this operation must never send (a chunk whose URL is still its source video's).
  public let refusals: [SameValueRefusal]

  /// Checks the bindings against the operation's variable definitions: every binding feeds a declared variable and
  /// every required variable is fed, so a mistake shows before the first record (usage error).
  public init(
    operation: GraphQLOperation, bindings: [VariableBinding], merges: [MergeRule], refusals: [SameValueRefusal] = []
  ) throws {
    for binding in bindings where operation.variable(named: binding.variable) == nil {
      let declared = operation.variables.map { "$" + $0.name }.joined(separator: ", ")
      throw BindingSyntaxError(
        "--var \(binding): operation \(operation.label) declares no variable $\(binding.variable)"
          + (declared.isEmpty ? "" : " (it declares \(declared))"))
    }
    let bound = Set(bindings.map(\.variable))
    for variable in operation.variables where variable.isRequired && !bound.contains(variable.name) {
      throw BindingSyntaxError(
        "operation \(operation.label) requires $\(variable.name): \(variable.type); "
          + "give it with --var \(variable.name)=field.path or --var \(variable.name):=JSON")
    }
    self.operation = operation
    self.bindings = bindings
    self.merges = merges
    self.refusals = refusals
  }

  /// The same operation with extra bindings (replacing any with the same target) and extra merge rules.
  public func adding(bindings extra: [VariableBinding], merges extraMerges: [MergeRule]) throws -> OperationTemplate {
    let targets = Set(extra.map(\.target))
    return try OperationTemplate(
      operation: operation, bindings: bindings.filter { !targets.contains($0.target) } + extra,
      merges: merges.filter { rule in !extraMerges.contains { $0.field == rule.field } } + extraMerges,
      refusals: refusals)
  }

  /// The variables for one record; a field missing from the record fails here, before anything is sent.
  func prepare(_ record: Record, line: Int?) throws -> PreparedOperation {
    for refusal in refusals { try refusal.check(record) }
    return PreparedOperation(
      template: self, variables: try VariableBinding.variables(for: record, bindings: bindings), record: record,
      line: line)
  }
}

/// One record's operation, ready to send.
struct PreparedOperation {
  let template: OperationTemplate
  let variables: [String: JSONValue]
  let record: Record
  let line: Int?

  /// The record with the response values its merge rules ask for.
  func merged(with response: JSONValue) throws -> Record {
    var output = record
    for rule in template.merges {
      output[rule.field] = try rule.value(in: response, operation: template.operation.label)
    }
    return output
  }
}

/// Which operation a record gets: always the same one, or one chosen by a field (batch or live jobs).
public enum OperationChoice: Equatable, Sendable {
  case always(OperationTemplate)
  case byModality(field: String, batch: OperationTemplate, live: OperationTemplate)

  public var templates: [OperationTemplate] {
    switch self {
    case .always(let template): return [template]
    case .byModality(_, let batch, let live): return [batch, live]
    }
  }

  func template(for record: Record) throws -> OperationTemplate {
    switch self {
    case .always(let template): return template
    case .byModality(let field, let batch, let live):
      let modality = try record.requireString(field)
      switch modality.lowercased() {
      case "batch": return batch
      case "live": return live
      default: throw InputError.invalidField(field, reason: "must be \"batch\" or \"live\", found \(quoted(modality))")
      }
    }
  }

  public func adding(bindings: [VariableBinding], merges: [MergeRule]) throws -> OperationChoice {
    switch self {
    case .always(let template): return .always(try template.adding(bindings: bindings, merges: merges))
    case .byModality(let field, let batch, let live):
      return .byModality(
        field: field, batch: try batch.adding(bindings: bindings, merges: merges),
        live: try live.adding(bindings: bindings, merges: merges))
    }
  }
}
