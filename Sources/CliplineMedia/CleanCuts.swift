internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale
import CliplineSystem

/// Copy mode's cut points: a chunk starts only on a picture that decodes alone together with every picture after it,
/// so no picture is lost at a cut. A keyframe that could start one is held, with whatever follows, until the pictures
/// decoded after it but shown before it (leading pictures) are known: once a packet's decode time reaches the
/// keyframe's own time, none can follow. Without B-frames that is the keyframe itself, and nothing is held.
final class CleanCuts {
  private let router: SegmentRouter
  private let reader: RandomAccessReader
  private var pending: Pending?

  private final class Pending {
    let keyframe: Packet
    let access: RandomAccess
    let time: Int64
    var firstShown: Int64
    var lostLeading = false
    var held: [(packet: Packet, stream: Int)] = []

    init(keyframe: Packet, access: RandomAccess, time: Int64) {
      self.keyframe = keyframe
      self.access = access
      self.time = time
      firstShown = time
    }
  }

  init(router: SegmentRouter, video stream: UnsafeMutablePointer<AVStream>) {
    self.router = router
    reader = RandomAccessReader(video: stream)
  }

  /// Routes a packet (output stream 0 is the video), now or once the keyframe before it is judged.
  func route(_ packet: Packet, stream: Int) throws {
    if let pending {
      pending.held.append((try Packet(cloning: packet), stream))
      guard stream == 0 else { return }
      note(packet, leading: pending)
      if let decoded = packet.dts, decoded < pending.time { return }
      try release()
    } else {
      try judge(packet, stream: stream)
    }
  }

  /// The input ended: a keyframe still held has no leading picture left to come.
  func finish() throws {
    if pending != nil { try release() }
  }

  private func judge(_ packet: Packet, stream: Int) throws {
    guard stream == 0, packet.isKeyframe, let time = packet.pts, router.awaitsCut(at: time) else {
      return try router.route(packet, stream: stream)
    }
    let access = reader.classify(packet)
    if case .dependent(let reason) = access { return try router.route(packet, stream: 0, cut: .refused(reason)) }
    if let decoded = packet.dts, decoded < time {
      pending = Pending(keyframe: try Packet(cloning: packet), access: access, time: time)
    } else {
      try router.route(packet, stream: 0, cut: .at(time))
    }
  }

  private func note(_ packet: Packet, leading pending: Pending) {
    guard let shown = packet.pts, shown < pending.time else { return }
    pending.firstShown = min(pending.firstShown, shown)
    if pending.access != .independent && reader.isSkippedWhenLeading(packet) { pending.lostLeading = true }
  }

  private func release() throws {
    guard let judged = pending else { return }
    pending = nil
    let cut: SegmentRouter.Cut =
      judged.lostLeading
      ? .refused("an open-GOP picture whose leading pictures need the GOP before it") : .at(judged.firstShown)
    try router.route(judged.keyframe, stream: 0, cut: cut)
    for (packet, stream) in judged.held { try route(packet, stream: stream) }
  }
}

/// Copy mode cannot cut a source at a boundary without losing pictures: it has no picture that decodes alone from
/// the boundary to the next one (open GOPs, intra refresh). Bad input for copy mode (65); transcode mode cuts it.
public struct CopyModeCannotCut: Error, CustomStringConvertible, ExitStatusProviding {
  public let boundary: Double
  public let until: Double
  public let keyframe: Double
  public let reason: String
  public var path = ""

  public var description: String {
    String(
      format: "%@ cannot be cut in copy mode without losing pictures: no picture from %.1f s to %.1f s decodes "
        + "alone (the keyframe at %.2f s is %@); use --mode transcode", path, boundary, until, keyframe, reason)
  }

  public var exitStatus: ExitStatus { .dataError }
}
