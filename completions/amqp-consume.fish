function __amqp-consume_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __amqp-consume_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __amqp-consume_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __amqp-consume_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __amqp-consume_parse_tokens -S
    set -l unparsed_tokens (__amqp-consume_tokens -pc)
    switch $unparsed_tokens[1]
    case 'amqp-consume'
        __amqp-consume_parse_subcommand -r 1 'u/url=' 'heartbeat=' 'connect-timeout=' 'connection-name=' 'ca-file=' 'cert-file=' 'key-file=' 'insecure-skip-verify' 'declare' 'dlq=' 'quorum' 'message-ttl=' 'q/queue=' 'e/exchange=' 'r/routing-key=' 'envelope' 'c/count=' 'idle-timeout=' 'p/prefetch-count=' 'jobs=' 'timeout=' 'max-retries=' 'retry-delay=' 'on-failure=' 'grace=' 'consumer-timeout=' 'reconnect-for=' 'health-file=' 'metrics-listen=' 'metrics-file=' 'v/verbose' 'quiet' 'log-format=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __amqp-consume_parse_subcommand -r 1 'version'
        end
    end
end

function __amqp-consume_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __amqp-consume_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __amqp-consume_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __amqp-consume_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__amqp-consume_tokens -p)
    if test -z "$(__amqp-consume_tokens -t)"
        set -l index (count (__amqp-consume_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'amqp-consume' -f
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" u url' -l 'url' -s 'u' -d 'Broker URL, amqp://user:pass@host:port/vhost or amqps://... (default: $AMQP_URL, else amqp://localhost). The vhost is percent-encoded: /%2f is the default vhost.' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" heartbeat' -l 'heartbeat' -d 'Seconds between heartbeats; 0 turns them off.' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" connect-timeout' -l 'connect-timeout' -d 'How long to wait for the TCP (and TLS) connection and the login.' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" connection-name' -l 'connection-name' -d 'A name for the connection, shown by rabbitmqctl list_connections and the management UI.' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" ca-file' -l 'ca-file' -d 'CA certificates (PEM) to verify an amqps:// broker with.' -rF
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" cert-file' -l 'cert-file' -d 'Client certificate (PEM) for amqps:// brokers that ask for one.' -rF
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" key-file' -l 'key-file' -d 'The client certificate\'s private key (PEM).' -rF
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" insecure-skip-verify' -l 'insecure-skip-verify' -d 'Do not verify the broker\'s TLS certificate (tests only: anyone could pose as the broker).'
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" declare' -l 'declare' -d 'Declare the queue (durable) and its dead-letter queue before use; harmless if they exist.'
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" dlq' -l 'dlq' -d 'The dead-letter queue (default: QUEUE.dlq).' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" quorum' -l 'quorum' -d 'With --declare: make them quorum queues (x-queue-type=quorum), replicated and safer.'
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" message-ttl' -l 'message-ttl' -d 'With --declare: messages older than this go to the dead-letter queue (x-message-ttl).' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" q queue' -l 'queue' -s 'q' -d 'The queue to consume.' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" e exchange' -l 'exchange' -s 'e' -d 'Bind the queue to this exchange before consuming (with --routing-key).' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" r routing-key' -l 'routing-key' -s 'r' -d 'With --exchange: the routing key to bind with (default: empty).' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" envelope' -l 'envelope' -d 'Print mode: add an "amqp" field with routing key, headers and properties.'
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" c count' -l 'count' -s 'c' -d 'Stop after this many messages.' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" idle-timeout' -l 'idle-timeout' -d 'Stop once no message came for this long (and nothing is running).' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" p prefetch-count' -s 'p' -l 'prefetch-count' -d 'Print mode: how many unacked messages the broker may send ahead (with a handler: --jobs).' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" jobs' -l 'jobs' -d 'How many handlers run at once (and the prefetch count).' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" timeout' -l 'timeout' -d 'Stop a handler (its whole process group) after this long; it counts as a retry.' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" max-retries' -l 'max-retries' -d 'How often a message whose handler exits 75 or 69 is retried before it is dead-lettered.' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" retry-delay' -l 'retry-delay' -d 'The wait before the first retry; it doubles for each further attempt.' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" on-failure' -l 'on-failure' -d 'A shell command run for each message that goes to the dead-letter queue.' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" grace' -l 'grace' -d 'After SIGTERM/SIGINT, how long running handlers may take before they are stopped.' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" consumer-timeout' -l 'consumer-timeout' -d 'The broker\'s consumer_timeout (0: disabled there); handlers are stopped before it.' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" reconnect-for' -l 'reconnect-for' -d 'How long to keep reconnecting when the broker goes away (default: for ever).' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" health-file' -l 'health-file' -d 'Keep this JSON file updated with connection state and counters.' -rF
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" metrics-listen' -l 'metrics-listen' -d 'Serve GET /metrics (Prometheus), /healthz and /readyz on this address (127.0.0.1:9464; :9464 for every interface).' -rfka ''
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" metrics-file' -l 'metrics-file' -d 'Write Prometheus metrics to this file (for node_exporter\'s textfile collector: name it *.prom; its name without .prom labels every series as textfile).' -rF
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" quiet' -l 'quiet' -d 'Say only errors on stderr.'
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" version' -l 'version' -d 'Show the version.'
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_positional "amqp-consume" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'amqp-consume' -n '__amqp-consume_should_offer_completions_for_flags_or_options "amqp-consume help" version' -l 'version' -d 'Show the version.'
