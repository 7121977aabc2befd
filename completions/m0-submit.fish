function __m0-submit_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __m0-submit_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __m0-submit_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __m0-submit_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __m0-submit_parse_tokens -S
    set -l unparsed_tokens (__m0-submit_tokens -pc)
    switch $unparsed_tokens[1]
    case 'm0-submit'
        __m0-submit_parse_subcommand 0 'u/url=' 'heartbeat=' 'connect-timeout=' 'connection-name=' 'ca-file=' 'cert-file=' 'key-file=' 'insecure-skip-verify' 'declare' 'dlq=' 'quorum' 'message-ttl=' 'queue=' 'check' 'metrics-file=' 'v/verbose' 'q/quiet' 'log-format=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __m0-submit_parse_subcommand -r 1 'version'
        end
    end
end

function __m0-submit_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __m0-submit_parse_subcommand -S -a positional_count
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

function __m0-submit_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __m0-submit_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__m0-submit_tokens -p)
    if test -z "$(__m0-submit_tokens -t)"
        set -l index (count (__m0-submit_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'm0-submit' -f
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" u url' -l 'url' -s 'u' -d 'Broker URL, amqp://user:pass@host:port/vhost or amqps://... (default: $AMQP_URL, else amqp://localhost). The vhost is percent-encoded: /%2f is the default vhost.' -rfka ''
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" heartbeat' -l 'heartbeat' -d 'Seconds between heartbeats; 0 turns them off.' -rfka ''
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" connect-timeout' -l 'connect-timeout' -d 'How long to wait for the TCP (and TLS) connection and the login.' -rfka ''
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" connection-name' -l 'connection-name' -d 'A name for the connection, shown by rabbitmqctl list_connections and the management UI.' -rfka ''
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" ca-file' -l 'ca-file' -d 'CA certificates (PEM) to verify an amqps:// broker with.' -rF
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" cert-file' -l 'cert-file' -d 'Client certificate (PEM) for amqps:// brokers that ask for one.' -rF
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" key-file' -l 'key-file' -d 'The client certificate\'s private key (PEM).' -rF
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" insecure-skip-verify' -l 'insecure-skip-verify' -d 'Do not verify the broker\'s TLS certificate (tests only: anyone could pose as the broker).'
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" declare' -l 'declare' -d 'Declare the queue (durable) and its dead-letter queue before use; harmless if they exist.'
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" dlq' -l 'dlq' -d 'The dead-letter queue (default: QUEUE.dlq).' -rfka ''
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" quorum' -l 'quorum' -d 'With --declare: make them quorum queues (x-queue-type=quorum), replicated and safer.'
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" message-ttl' -l 'message-ttl' -d 'With --declare: messages older than this go to the dead-letter queue (x-message-ttl).' -rfka ''
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" queue' -l 'queue' -d 'The queue M0 workers consume.' -rfka ''
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" check dry-run' -l 'check' -l 'dry-run' -d 'Check the requests and say where each would be queued; connect to no broker, publish nothing.'
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" metrics-file' -l 'metrics-file' -d 'Write Prometheus metrics to this file (for node_exporter\'s textfile collector: name it *.prom; its name without .prom labels every series as textfile).' -rF
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" q quiet' -l 'quiet' -s 'q' -d 'Say only errors on stderr.'
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" version' -l 'version' -d 'Show the version.'
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_positional "m0-submit" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'm0-submit' -n '__m0-submit_should_offer_completions_for_flags_or_options "m0-submit help" version' -l 'version' -d 'Show the version.'
