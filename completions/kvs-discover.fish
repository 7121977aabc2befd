function __kvs-discover_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __kvs-discover_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __kvs-discover_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __kvs-discover_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __kvs-discover_parse_tokens -S
    set -l unparsed_tokens (__kvs-discover_tokens -pc)
    switch $unparsed_tokens[1]
    case 'kvs-discover'
        __kvs-discover_parse_subcommand 0 'endpoint-url=' 'region=' 'profile=' 'access-key-id=' 'secret-access-key=' 'ca-bundle=' 'attempts=' 'prefix=' 'all' 'cache=' 'no-cache' 'ttl=' 'cache-key=' 'refresh' 'camera-id-tag=' 'page-size=' 'window=' 'delay=' 'at=' 'process-id=' 'inference-config=' 'template=' 'metrics-file=' 'v/verbose' 'q/quiet' 'log-format=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __kvs-discover_parse_subcommand -r 1 'version'
        end
    end
end

function __kvs-discover_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __kvs-discover_parse_subcommand -S -a positional_count
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

function __kvs-discover_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __kvs-discover_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__kvs-discover_tokens -p)
    if test -z "$(__kvs-discover_tokens -t)"
        set -l index (count (__kvs-discover_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'kvs-discover' -f
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" endpoint-url' -l 'endpoint-url' -d 'The service endpoint (default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL_KINESIS_VIDEO, then AWS_ENDPOINT_URL, then the profile\'s services section and endpoint_url, else AWS).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" region' -l 'region' -d 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile\'s; S3 alone falls back to us-east-1).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" profile' -l 'profile' -d 'AWS profile in ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" access-key-id' -l 'access-key-id' -d 'AWS access key id (default: the credential chain, starting with AWS_ACCESS_KEY_ID).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" secret-access-key' -l 'secret-access-key' -d 'AWS secret access key, with --access-key-id. Visible to other users in ps (a warning says so): prefer AWS_SECRET_ACCESS_KEY or a profile.' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" ca-bundle' -l 'ca-bundle' -d 'CA certificates (PEM) to verify AWS\'s TLS endpoints with (default: AWS_CA_BUNDLE, the profile\'s ca_bundle, else the system\'s).' -rF
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" attempts' -l 'attempts' -d 'Attempts per request before a throttle, network error or 5xx is final (then exit 75).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" prefix' -l 'prefix' -d 'Only streams whose name starts with this (ListStreams\' BEGINS_WITH).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" all' -l 'all' -d 'Every stream whatever its status, not only ACTIVE ones.'
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" cache' -l 'cache' -d 'The cache: redis://[user@]host[:port][/db], or a directory (or file:// URL) for the file cache (default: REDIS_URL, else REDIS_HOST and REDIS_PORT, else the file cache; REDIS_PASSWORD is the password).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" no-cache' -l 'no-cache' -d 'Use no cache at all.'
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" ttl' -l 'ttl' -d 'How long a cached list stays fresh.' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" cache-key' -l 'cache-key' -d 'The cache key (a --prefix is appended after a colon).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" refresh' -l 'refresh' -d 'Ask KVS even when the cache is fresh, and rewrite the cache.'
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" camera-id-tag' -l 'camera-id-tag' -d 'A stream tag holding the camera id (one ListTagsForStream call per stream on a miss).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" page-size' -l 'page-size' -d 'Streams per ListStreams page (1-10000).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" window' -l 'window' -d 'Write one KVS task per camera for the last whole window of this length (e.g. 60s; 1s to 366d).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" delay' -l 'delay' -d 'With --window: the window must have ended at least this long ago (KVS ingests late; up to 366d).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" at' -l 'at' -d 'With --window: compute the window as if it were this RFC 3339 time (backfills, reruns).' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" process-id' -l 'process-id' -d 'Each window task\'s process_id (a number stays a number); else one minted from camera and window.' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" inference-config' -l 'inference-config' -d 'Each window task\'s inference_config, JSON or @file.' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" template' -l 'template' -d 'A JSON object (or @file) of extra window task fields; strings may hold {camera_id}, {start_time}, {window_start} holes.' -rfka ''
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" metrics-file' -l 'metrics-file' -d 'Write Prometheus metrics to this file (for node_exporter\'s textfile collector: name it *.prom; its name without .prom labels every series as textfile).' -rF
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" q quiet' -l 'quiet' -s 'q' -d 'Say only errors on stderr.'
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" version' -l 'version' -d 'Show the version.'
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_positional "kvs-discover" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'kvs-discover' -n '__kvs-discover_should_offer_completions_for_flags_or_options "kvs-discover help" version' -l 'version' -d 'Show the version.'
