function __amqp-pub_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __amqp-pub_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __amqp-pub_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __amqp-pub_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __amqp-pub_parse_tokens -S
    set -l unparsed_tokens (__amqp-pub_tokens -pc)
    switch $unparsed_tokens[1]
    case 'amqp-pub'
        __amqp-pub_parse_subcommand 0 'u/url=' 'heartbeat=' 'connect-timeout=' 'connection-name=' 'ca-file=' 'cert-file=' 'key-file=' 'insecure-skip-verify' 'declare' 'dlq=' 'quorum' 'message-ttl=' 'q/queue=' 'e/exchange=' 'r/routing-key=' 'H/header=+' 'header-field=+' 'message-id-field=' 'C/content-type=' 'E/content-encoding=' 't/reply-to=' 'b/body=' 'tee' 'dry-run' 'window=' 'reconnect-for=' 'timeout=' 'v/verbose' 'quiet' 'log-format=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __amqp-pub_parse_subcommand -r 1 'version'
        end
    end
end

function __amqp-pub_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __amqp-pub_parse_subcommand -S -a positional_count
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

function __amqp-pub_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __amqp-pub_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__amqp-pub_tokens -p)
    if test -z "$(__amqp-pub_tokens -t)"
        set -l index (count (__amqp-pub_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'amqp-pub' -f
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" u url' -l 'url' -s 'u' -d 'Broker URL, amqp://user:pass@host:port/vhost or amqps://... (default: $AMQP_URL, else amqp://localhost). The vhost is percent-encoded: /%2f is the default vhost.' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" heartbeat' -l 'heartbeat' -d 'Seconds between heartbeats; 0 turns them off.' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" connect-timeout' -l 'connect-timeout' -d 'How long to wait for the TCP (and TLS) connection and the login.' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" connection-name' -l 'connection-name' -d 'A name for the connection, shown by rabbitmqctl list_connections and the management UI.' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" ca-file' -l 'ca-file' -d 'CA certificates (PEM) to verify an amqps:// broker with.' -rF
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" cert-file' -l 'cert-file' -d 'Client certificate (PEM) for amqps:// brokers that ask for one.' -rF
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" key-file' -l 'key-file' -d 'The client certificate\'s private key (PEM).' -rF
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" insecure-skip-verify' -l 'insecure-skip-verify' -d 'Do not verify the broker\'s TLS certificate (tests only: anyone could pose as the broker).'
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" declare' -l 'declare' -d 'Declare the queue (durable) and its dead-letter queue before use; harmless if they exist.'
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" dlq' -l 'dlq' -d 'The dead-letter queue (default: QUEUE.dlq).' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" quorum' -l 'quorum' -d 'With --declare: make them quorum queues (x-queue-type=quorum), replicated and safer.'
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" message-ttl' -l 'message-ttl' -d 'With --declare: messages older than this go to the dead-letter queue (x-message-ttl).' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" q queue' -l 'queue' -s 'q' -d 'Publish to this queue through the default exchange ({field} templates allowed).' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" e exchange' -l 'exchange' -s 'e' -d 'Publish to this exchange ({field} templates allowed) with --routing-key.' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" r routing-key' -l 'routing-key' -s 'r' -d 'The routing key for --exchange ({field} templates allowed); alone, the default exchange (a queue name).' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub"' -s 'H' -l 'header' -d 'A string header NAME=TEMPLATE (or \'NAME: TEMPLATE\'), e.g. camera={camera_id}; repeat for more.' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub"' -l 'header-field' -d 'Copy this record field into a header of the same name, keeping its JSON type and value (a fraction as an AMQP decimal); repeat for more.' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" message-id-field' -l 'message-id-field' -d 'Use this record field as the message id (default: a fresh UUID per message).' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" C content-type' -s 'C' -l 'content-type' -d 'The content_type property (default: application/json).' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" E content-encoding' -s 'E' -l 'content-encoding' -d 'The content_encoding property.' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" reply-to t' -s 't' -l 'reply-to' -d 'The reply_to property.' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" b body' -l 'body' -s 'b' -d 'Publish this one record instead of reading stdin.' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" tee' -l 'tee' -d 'Write each record to stdout once the broker confirmed it.'
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" dry-run' -l 'dry-run' -d 'Say where each message would go (and with --tee mark records "dry_run": true); publish nothing.'
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" window' -l 'window' -d 'How many messages may await confirmation at once.' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" reconnect-for' -l 'reconnect-for' -d 'How long to keep reconnecting when the broker goes away (0: give up at once).' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" timeout' -l 'timeout' -d 'Give up (75) when the broker keeps us waiting this long: blocked by an alarm, or not confirming.' -rfka ''
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" quiet' -l 'quiet' -d 'Say only errors on stderr.'
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" version' -l 'version' -d 'Show the version.'
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_positional "amqp-pub" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'amqp-pub' -n '__amqp-pub_should_offer_completions_for_flags_or_options "amqp-pub help" version' -l 'version' -d 'Show the version.'
