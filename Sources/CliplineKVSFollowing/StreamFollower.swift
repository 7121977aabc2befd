import CliplineHTTP
import CliplineKVS
import CliplineMedia
import CliplineRecords
import CliplineSystem
import CliplineTelemetry
import Foundation

/// Follows one stream through GetMedia, on a thread of its own: its fragments become windows, each written and
/// stored as it arrives and recorded the moment it is complete. A session KVS ends is opened again at once from the
/// last fragment; a camera that sends nothing is waited for with jittered backoff (said once, a gap in its windows);
/// a window that cannot be stored is cut again from the last saved position. Stopping leaves the window under way
/// unrecorded and its position unsaved, for the next follower.
// Its state is touched only on its own thread (the follow loop and the transfer's callbacks run there); `control`
// is what other threads reach, and it has its own lock.
final class StreamFollower: @unchecked Sendable {
  let camera: CameraRecord
  let lease: HeldLease?
  let control = FollowControl()
  private let context: FollowContext
  private var stream: KVSStreamReference
  private var key: String { camera.streamArn }
  private var settings: FollowSettings { context.settings }
  private var client: KVSClient!
  private var storage: WindowStorage!
  private var assembler: WindowAssembler
  private var output: WindowOutput?
  private var probed = ProbedTracks()
  private var last: (number: FragmentNumber, time: KVSMillis)?
  private var saved: FollowPosition?
  /// The first fragment of the window under way, to go back to when nothing was saved yet.
  private var windowFirst: KVSMillis?
  /// A window that cannot be made into a file (its media is bad): its fragments are passed over.
  private var skippedWindow: Int64?
  private var lastFragmentAt = Date()
  private var quietSince: Date?
  /// A failure met inside `tick`, which cannot throw: the session is abandoned and this is thrown after it.
  private var pending: Error?
  private var fragmentsTaken = 0
  private var lastByteAt = Date()
  private let telemetry: StreamTelemetry
  /// When the window under way got its first fragment: its span starts there.
  private var windowOpened = Date()

  init(camera: CameraRecord, lease: HeldLease?, context: FollowContext) {
    self.camera = camera
    self.lease = lease
    self.context = context
    telemetry = StreamTelemetry(camera: camera)
    stream = KVSStreamReference(name: camera.streamName, arn: camera.streamArn)
    assembler = WindowAssembler(length: context.settings.windowMillis, clock: context.settings.clock)
  }

  /// Follows until stopped, the stream is deleted, or the process cannot go on.
  func run() {
    defer {
      output?.abandon()
      output = nil
      control.set(state: "stopped")
    }
    guard let selector = prepare() else { return }
    follow(from: selector)
  }

  /// The client, storage and saved position; the first selector, or nil when the stream is not to be followed.
  private func prepare() -> KVSMediaSelector? {
    var options = HTTPClient.Options()
    // The idle timeout is kept by `tick` (libcurl's speed check averages over seconds: it fires late); this is
    // only the last resort.
    options.stallTimeout = max(30, settings.idleTimeout * 3)
    options.caFile = settings.kvs.caBundle
    client = KVSClient(configuration: settings.kvs, http: HTTPClient(options: options))
    do {
      let info = try client.describeStream(stream)
      guard info.isActive else {
        context.diagnostics.warning(
          "camera \(camera.cameraId): \(stream) is \(info.status), not ACTIVE; skipped",
          fields: ["camera_id": .string(camera.cameraId), "status": .string(info.status)])
        return nil
      }
      storage = try context.makeStorage()
      saved = try context.positions.load(key)
    } catch {
      context.diagnostics.error("camera \(camera.cameraId): \(describe(error)); not followed")
      return nil
    }
    if let saved {
      last = (saved.fragmentNumber, saved.fragmentTime)
      assembler = WindowAssembler(
        length: settings.windowMillis, clock: settings.clock, resumingAfter: saved.fragmentTime)
      context.diagnostics.info("camera \(camera.cameraId): resuming after fragment \(saved.fragmentNumber)")
      return .after(saved.fragmentNumber)
    }
    switch settings.start {
    case .now: return .now
    case .earliest: return .earliest
    case .at(let time): return settings.clock == .server ? .serverTimestamp(time) : .producerTimestamp(time)
    }
  }

  private func follow(from start: KVSMediaSelector) {
    var selector = start
    var refresh = false
    var failures = 0
    var sessions = 0
    while !control.isStopped {
      if sessions > 0 { telemetry.reconnected() }
      sessions += 1
      control.set(state: failures == 0 ? "following" : "reconnecting")
      do {
        let delivered = try session(from: selector, refreshEndpoint: refresh)
        // KVS ended the session (they last about 45 minutes): on again at once from the last fragment. One that
        // ended with nothing is waited on like a failure, so an empty stream is never asked in a tight loop.
        failures = delivered > 0 ? 0 : failures + 1
        refresh = false
        selector = last.map { .after($0.number) } ?? selector
        if failures == 0 { continue }
      } catch {
        guard !control.isStopped else { return }
        guard let reaction = react(to: error, failures: failures) else { return }
        failures += 1
        refresh = reaction.refresh
        selector = reaction.selector ?? last.map { .after($0.number) } ?? selector
      }
      control.sleep(backoff(failures)) { _ = tick() }
    }
  }

  /// Jittered: a fleet reconnecting at once does not hit KVS's per-account limits together.
  private func backoff(_ failures: Int) -> Double {
    Double.random(in: 0.5...1) * min(settings.maximumBackoff, 0.25 * pow(2, Double(min(failures, 10))))
  }

  /// One GetMedia session; returns how many fragments it delivered.
  private func session(from selector: KVSMediaSelector, refreshEndpoint: Bool) throws -> Int {
    var reader = GetMediaReader()
    let before = fragmentsTaken
    lastByteAt = Date()
    do {
      try client.getMedia(
        stream, from: selector, refreshEndpoint: refreshEndpoint, abandon: { [self] in tick(inSession: true) },
        consume: { [self] bytes in
          lastByteAt = Date()
          try reader.feed(bytes) { try handle($0) }
        })
      try reader.finish { try handle($0) }
    } catch {
      if let failure = pending {
        pending = nil
        throw failure
      }
      throw error
    }
    return fragmentsTaken - before
  }

  /// About once a second while a session is open or a reconnection waits: a window on the server's clock is
  /// complete once nothing has come for the idle time past its end, and a session that brought no byte for the idle
  /// time is given up. True abandons the session.
  private func tick(inSession: Bool = false) -> Bool {
    if control.isStopped || pending != nil { return true }
    if inSession, Date().timeIntervalSince(lastByteAt) >= settings.idleTimeout {
      pending = NoMedia()
      return true
    }
    let now = KVSMillis(Int64(Date().timeIntervalSince1970 * 1000))
    let quiet = Int64(Date().timeIntervalSince(lastFragmentAt) * 1000)
    do {
      try apply(assembler.idle(now: now, quiet: quiet, idleTimeout: Int64(settings.idleTimeout * 1000)), first: nil)
    } catch {
      pending = error
      return true
    }
    return false
  }

  private func handle(_ event: GetMediaReader.Event) throws {
    switch event {
    case .started(let header):
      try apply(assembler.started(header), first: nil)
    case .fragment(let fragment):
      try take(fragment)
    case .error(let error):
      throw error
    }
  }

  private func take(_ fragment: KVSMediaFragment) throws {
    lastFragmentAt = Date()
    fragmentsTaken += 1
    if let since = quietSince {
      context.diagnostics.info(
        "camera \(camera.cameraId): media again after \(Int(Date().timeIntervalSince(since))) s without")
      quietSince = nil
    }
    if let millisBehind = fragment.millisBehindNow {
      control.set(millisBehind: millisBehind)
      telemetry.behindLive(millis: millisBehind)
    }
    let header = fragment.header
    // A session resumed by time repeats fragments already placed.
    if let last, header.number <= last.number { return }
    defer { last = (header.number, header.time(settings.clock)) }
    if skippedWindow == assembler.window(of: header).index { return }
    try apply(assembler.place(header), first: fragment)
    do {
      try output?.append(fragment)
    } catch {
      throw WindowFailure(underlying: error)
    }
  }

  private func apply(_ steps: [WindowAssembler.Step], first: KVSMediaFragment?) throws {
    for step in steps {
      switch step {
      case .close:
        try closeWindow()
      case .open(let window, let start):
        guard let first else { continue }
        let task = try settings.tasks.task(
          for: camera, start: Date(timeIntervalSince1970: start.seconds),
          end: Date(timeIntervalSince1970: window.end.seconds))
        windowFirst = first.header.time(settings.clock)
        windowOpened = Date()
        do {
          output = try WindowOutput(
            task: task, window: window, start: start, clock: settings.clock, first: first, storage: storage,
            probed: &probed)
        } catch {
          throw WindowFailure(underlying: error)
        }
      }
    }
  }

  private func closeWindow() throws {
    guard let window = output, let last else { return }
    output = nil
    let record: Record
    do {
      record = try window.finish()
    } catch {
      throw WindowFailure(underlying: error)
    }
    let position = FollowPosition(fragmentNumber: last.number, fragmentTime: last.time, clock: settings.clock)
    let trace = RecordTrace.begin(at: windowOpened)
    let shaped = trace.map { $0.stamped(settings.form.shape(record)) } ?? settings.form.shape(record)
    try context.records.emit(shaped, position: position, stream: key, lease: lease)
    telemetry.windowWritten(shaped, trace: trace)
    saved = position
    control.set(windowWritten: true)
  }

  /// What to do after a failed session: nil stops following the stream; else whether to ask for the data endpoint
  /// again and where to start.
  private func react(to error: Error, failures: Int) -> (refresh: Bool, selector: KVSMediaSelector?)? {
    let diagnostics = context.diagnostics
    let name = "camera \(camera.cameraId)"
    switch error {
    case let failure as WindowFailure:
      return windowFailed(failure)
    case let lost as LeaseLost:
      diagnostics.warning("\(name): \(lost.description)")
      return nil
    case is OutputClosed:
      context.fail(error)
      return nil
    case let kvs as KVSError where kvs.kind == .streamNotFound:
      diagnostics.warning("\(name): \(stream) no longer exists; no longer followed")
      return nil
    case let media as KVSMediaError where media.isFragmentNotFound:
      diagnostics.warning("\(name): \(media.description); going on from the time of the last fragment kept")
      guard let last else { return (false, .earliest) }
      return (false, settings.clock == .server ? .serverTimestamp(last.time) : .producerTimestamp(last.time))
    case is NoMedia:
      if quietSince == nil {
        quietSince = lastFragmentAt
        telemetry.gap()
        diagnostics.warning(
          "\(name): no media for \(Int(settings.idleTimeout)) s; waiting for the camera (reconnecting with backoff)")
      }
      control.set(state: "quiet")
      return (failures >= 2, nil)
    default:
      if failures == 0 || failures % 10 == 0 { diagnostics.warning("\(name): \(describe(error)); reconnecting") }
      return (error is HTTPTransportError || (error as? KVSError)?.kind != .throttled, nil)
    }
  }

  /// A window that could not be written or stored: bad media is passed over (said once; it would fail again), any
  /// other failure (storage away) cuts the window again from the last saved position.
  private func windowFailed(_ failure: WindowFailure) -> (refresh: Bool, selector: KVSMediaSelector?)? {
    let name = "camera \(camera.cameraId)"
    if failure.underlying is OutputClosed || failure.underlying is LeaseLost {
      return react(to: failure.underlying, failures: 0)
    }
    output?.abandon()
    output = nil
    if ExitStatus.of(failure.underlying) == .dataError, let open = assembler.open {
      context.diagnostics.warning("\(name): window \(open.window) skipped: \(describe(failure.underlying))")
      skippedWindow = open.window.index
      assembler.abandon(restartingAfter: last?.time)
      return (false, last.map { .after($0.number) })
    }
    context.diagnostics.warning(
      "\(name): \(describe(failure.underlying)); the window will be cut again from the last saved position")
    let restart = saved?.fragmentTime
    last = saved.map { ($0.fragmentNumber, $0.fragmentTime) }
    assembler.abandon(restartingAfter: restart)
    if let saved { return (false, .after(saved.fragmentNumber)) }
    guard let windowFirst else { return (false, nil) }
    return (false, settings.clock == .server ? .serverTimestamp(windowFirst) : .producerTimestamp(windowFirst))
  }

  func stop() { control.stop() }
}

/// Writing or storing a window failed (not the GetMedia session itself).
struct WindowFailure: Error, CustomStringConvertible {
  let underlying: Error
  var description: String { describe(underlying) }
}

/// A session that brought no byte for the idle timeout.
struct NoMedia: Error {}
