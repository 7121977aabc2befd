// rabbitmq-c (librabbitmq) for Swift: amqp_login is variadic; TLS peer names are checked through OpenSSL.
#ifndef CLIPLINE_CRABBITMQ_SHIM_H
#define CLIPLINE_CRABBITMQ_SHIM_H
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "rabbitmq_weak.h"

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
// rabbitmq-c 0.11 matches the host against the certificate's DNS names only, so amqps:// to an IP address failed
// although the certificate had the IP address. Instead OpenSSL checks the peer during chain verification: an IP
// address against the IP SANs, a name against the DNS SANs (no partial wildcards). Returns 1 when set.
static inline int clipline_amqp_ssl_expect_peer(amqp_socket_t *socket, const char *host) {
  SSL_CTX *context = (SSL_CTX *)amqp_ssl_socket_get_context(socket);
  if (context == NULL) return 0;
  X509_VERIFY_PARAM *parameters = SSL_CTX_get0_param(context);
  if (X509_VERIFY_PARAM_set1_ip_asc(parameters, host) == 1) return 1;
  X509_VERIFY_PARAM_set_hostflags(parameters, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return X509_VERIFY_PARAM_set1_host(parameters, host, 0);
}
#endif
