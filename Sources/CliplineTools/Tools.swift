import ArgumentParser

/// Every tool, as the `clipline` binary and each tool's own executable run them.
public enum Tools {
  public static var commands: [any ParsableCommand.Type] {
    [
      Chunk.self, BlobPut.self, BlobGet.self, BlobRm.self, AMQPPub.self, AMQPConsume.self, AMQPDLQ.self,
      KVSDiscover.self, KVSClip.self, KVSClipMedia.self, KVSFollow.self, GQLMutate.self, RecordShapeTool.self,
      M0Submit.self, ContactSheetTool.self,
    ]
  }
}
