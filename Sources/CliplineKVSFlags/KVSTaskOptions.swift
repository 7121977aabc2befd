import ArgumentParser
import CliplineCLI
import CliplineKVS
import CliplineRecords

/// The fields a window's task gets besides the camera's and the window's: `kvs-discover --window` and `kvs-follow`
/// spell them alike.
public struct KVSTaskOptions: ParsableArguments {
  @Option(
    name: .long,
    help: "Each window task's process_id (a number stays a number); else one minted from camera and window.")
  public var processId: String?

  @Option(name: .long, help: ArgumentHelp("Each window task's inference_config, JSON or @file.", valueName: "json"))
  public var inferenceConfig: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "A JSON object (or @file) of extra window task fields; strings may hold {camera_id}, {start_time}, {window_start} "
        + "holes.", valueName: "json"))
  public var template: String?

  public init() {}

  public var isEmpty: Bool { processId == nil && inferenceConfig == nil && template == nil }

  public func validate() throws {
    if let inferenceConfig { _ = try JSONArgument.parse(inferenceConfig, flag: "--inference-config") }
    if let template, case .object = try JSONArgument.parse(template, flag: "--template") {
    } else if template != nil {
      throw ValidationError("--template must be a JSON object.")
    }
  }

  public func builder() throws -> KVSTaskBuilder {
    KVSTaskBuilder(
      processId: processId.map { Int64($0).map(JSONValue.integer) ?? .string($0) },
      inferenceConfig: try inferenceConfig.map { try JSONArgument.parse($0, flag: "--inference-config") },
      template: try template.map { try JSONArgument.parse($0, flag: "--template").objectValue ?? [:] } ?? [:])
  }
}
