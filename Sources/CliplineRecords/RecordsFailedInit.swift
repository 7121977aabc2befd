import CliplineSystem

extension RecordsFailed {
  /// For tools that run their own record loop (`amqp-pub` learns of failures asynchronously, from confirms).
  public init(failedRecords failed: Int, of total: Int, exitStatus: ExitStatus) {
    self.init(failed: failed, total: total, exitStatus: exitStatus)
  }
}
