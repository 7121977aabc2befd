// rabbitmq-c (librabbitmq) for Swift: amqp_login is variadic.
#ifndef CLIPLINE_CRABBITMQ_SHIM_H
#define CLIPLINE_CRABBITMQ_SHIM_H
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>

static inline amqp_rpc_reply_t clipline_amqp_login_plain(amqp_connection_state_t state, const char *vhost, int channel_max,
                                                          int frame_max, int heartbeat, const char *user,
                                                          const char *password, amqp_table_t properties) {
  return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, &properties,
                                    AMQP_SASL_METHOD_PLAIN, user, password);
}

// Field values are a tagged union; these build one of each kind for header tables.
static inline amqp_field_value_t clipline_amqp_field_utf8(amqp_bytes_t bytes) {
  amqp_field_value_t value; value.kind = AMQP_FIELD_KIND_UTF8; value.value.bytes = bytes; return value;
}
static inline amqp_field_value_t clipline_amqp_field_i64(int64_t number) {
  amqp_field_value_t value; value.kind = AMQP_FIELD_KIND_I64; value.value.i64 = number; return value;
}
static inline amqp_field_value_t clipline_amqp_field_f64(double number) {
  amqp_field_value_t value; value.kind = AMQP_FIELD_KIND_F64; value.value.f64 = number; return value;
}
static inline amqp_field_value_t clipline_amqp_field_boolean(int flag) {
  amqp_field_value_t value; value.kind = AMQP_FIELD_KIND_BOOLEAN; value.value.boolean = flag ? 1 : 0; return value;
}
static inline amqp_field_value_t clipline_amqp_field_void(void) {
  amqp_field_value_t value; value.kind = AMQP_FIELD_KIND_VOID; return value;
}
static inline amqp_field_value_t clipline_amqp_field_table(amqp_table_t table) {
  amqp_field_value_t value; value.kind = AMQP_FIELD_KIND_TABLE; value.value.table = table; return value;
}
static inline amqp_field_value_t clipline_amqp_field_array(amqp_array_t array) {
  amqp_field_value_t value; value.kind = AMQP_FIELD_KIND_ARRAY; value.value.array = array; return value;
}

// The close-ok replies a client owes the broker after it closed a channel or the connection.
static inline int clipline_amqp_send_channel_close_ok(amqp_connection_state_t state, amqp_channel_t channel) {
  amqp_channel_close_ok_t ok;
  return amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
}
static inline int clipline_amqp_send_connection_close_ok(amqp_connection_state_t state) {
  amqp_connection_close_ok_t ok;
  return amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
}
#endif
