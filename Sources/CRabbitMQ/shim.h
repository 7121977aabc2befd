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
#endif
