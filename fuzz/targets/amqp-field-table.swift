import CCliplineRabbitMQ

// The AMQP field-table decoder: any bytes as an encoded table (what another client puts in message headers),
// decoded by rabbitmq-c as the broker's frames are, then read as JSON by FieldTableReader.
@testable import CliplineAMQP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  var pool = amqp_pool_t()
  init_amqp_pool(&pool, 4096)
  defer { empty_amqp_pool(&pool) }
  var table = amqp_table_t()
  var offset = 0
  let encoded = amqp_bytes_t(len: size, bytes: UnsafeMutableRawPointer(mutating: data))
  guard amqp_decode_table(encoded, &pool, &table, &offset) == 0 else { return 0 }
  guard let read = try? FieldTableReader.table(table) else { return 0 }
  // What a consumer does with it: headers as JSON, and the table encoded again for a dead letter.
  _ = read.jsonObject
  let arena = CArena()
  _ = arena.table(read)
  return 0
}
