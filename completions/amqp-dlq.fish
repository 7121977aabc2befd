function __amqp-dlq_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __amqp-dlq_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __amqp-dlq_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __amqp-dlq_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __amqp-dlq_parse_tokens -S
    set -l unparsed_tokens (__amqp-dlq_tokens -pc)
    switch $unparsed_tokens[1]
    case 'amqp-dlq'
        __amqp-dlq_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'list'
            __amqp-dlq_parse_subcommand 0 'u/url=' 'heartbeat=' 'connect-timeout=' 'connection-name=' 'ca-file=' 'cert-file=' 'key-file=' 'insecure-skip-verify' 'q/queue=' 'c/count=' 'metrics-file=' 'v/verbose' 'quiet' 'log-format=' 'json' 'version' 'h/help'
        case 'replay'
            __amqp-dlq_parse_subcommand 0 'u/url=' 'heartbeat=' 'connect-timeout=' 'connection-name=' 'ca-file=' 'cert-file=' 'key-file=' 'insecure-skip-verify' 'q/queue=' 'c/count=' 'metrics-file=' 'v/verbose' 'quiet' 'log-format=' 'position=+' 'message-id=+' 'where=+' 'all' 'to=' 'dry-run' 'version' 'h/help'
        case 'help'
            __amqp-dlq_parse_subcommand -r 1 'version'
        end
    end
end

function __amqp-dlq_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __amqp-dlq_parse_subcommand -S -a positional_count
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

function __amqp-dlq_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __amqp-dlq_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__amqp-dlq_tokens -p)
    if test -z "$(__amqp-dlq_tokens -t)"
        set -l index (count (__amqp-dlq_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'amqp-dlq' -f
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq" version' -l 'version' -d 'Show the version.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_positional "amqp-dlq" -eq 1' -fa 'list' -d 'Show a queue\'s messages (a table on a terminal, JSON lines when piped); all stay on the queue.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_positional "amqp-dlq" -eq 1' -fa 'replay' -d 'Put chosen dead letters back on their queue, retry count reset; confirmed before each is removed.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_positional "amqp-dlq" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" u url' -l 'url' -s 'u' -d 'Broker URL, amqp://user:pass@host:port/vhost or amqps://... (default: $AMQP_URL, else amqp://localhost). The vhost is percent-encoded: /%2f is the default vhost.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" heartbeat' -l 'heartbeat' -d 'Seconds between heartbeats; 0 turns them off.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" connect-timeout' -l 'connect-timeout' -d 'How long to wait for the TCP (and TLS) connection and the login.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" connection-name' -l 'connection-name' -d 'A name for the connection, shown by rabbitmqctl list_connections and the management UI.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" ca-file' -l 'ca-file' -d 'CA certificates (PEM) to verify an amqps:// broker with.' -rF
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" cert-file' -l 'cert-file' -d 'Client certificate (PEM) for amqps:// brokers that ask for one.' -rF
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" key-file' -l 'key-file' -d 'The client certificate\'s private key (PEM).' -rF
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" insecure-skip-verify' -l 'insecure-skip-verify' -d 'Do not verify the broker\'s TLS certificate (tests only: anyone could pose as the broker).'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" q queue' -l 'queue' -s 'q' -d 'The queue to read (for replay: the dead-letter queue).' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" c count' -l 'count' -s 'c' -d 'Read at most this many messages from the head of the queue.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" metrics-file' -l 'metrics-file' -d 'Write Prometheus metrics to this file (for node_exporter\'s textfile collector: name it *.prom; its name without .prom labels every series as textfile).' -rF
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" quiet' -l 'quiet' -d 'Say only errors on stderr.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" json' -l 'json' -d 'JSON lines even on a terminal.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" version' -l 'version' -d 'Show the version.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" u url' -l 'url' -s 'u' -d 'Broker URL, amqp://user:pass@host:port/vhost or amqps://... (default: $AMQP_URL, else amqp://localhost). The vhost is percent-encoded: /%2f is the default vhost.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" heartbeat' -l 'heartbeat' -d 'Seconds between heartbeats; 0 turns them off.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" connect-timeout' -l 'connect-timeout' -d 'How long to wait for the TCP (and TLS) connection and the login.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" connection-name' -l 'connection-name' -d 'A name for the connection, shown by rabbitmqctl list_connections and the management UI.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" ca-file' -l 'ca-file' -d 'CA certificates (PEM) to verify an amqps:// broker with.' -rF
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" cert-file' -l 'cert-file' -d 'Client certificate (PEM) for amqps:// brokers that ask for one.' -rF
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" key-file' -l 'key-file' -d 'The client certificate\'s private key (PEM).' -rF
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" insecure-skip-verify' -l 'insecure-skip-verify' -d 'Do not verify the broker\'s TLS certificate (tests only: anyone could pose as the broker).'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" q queue' -l 'queue' -s 'q' -d 'The queue to read (for replay: the dead-letter queue).' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" c count' -l 'count' -s 'c' -d 'Read at most this many messages from the head of the queue.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" metrics-file' -l 'metrics-file' -d 'Write Prometheus metrics to this file (for node_exporter\'s textfile collector: name it *.prom; its name without .prom labels every series as textfile).' -rF
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" quiet' -l 'quiet' -d 'Say only errors on stderr.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay"' -l 'position' -d 'Replay the message at this position (1: the head of the queue); repeat for more.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay"' -l 'message-id' -d 'Replay the message with this message id; repeat for more.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay"' -l 'where' -d 'Replay messages whose header or top-level body field NAME has this value; repeat: all must hold.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" all' -l 'all' -d 'Replay every message read.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" to' -l 'to' -d 'Put them on this queue instead of the one in their x-clipline-queue header.' -rfka ''
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" dry-run' -l 'dry-run' -d 'Say which dead letters would be replayed where; publish and remove nothing.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" version' -l 'version' -d 'Show the version.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq replay" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'amqp-dlq' -n '__amqp-dlq_should_offer_completions_for_flags_or_options "amqp-dlq help" version' -l 'version' -d 'Show the version.'
