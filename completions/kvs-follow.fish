function __kvs-follow_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __kvs-follow_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __kvs-follow_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __kvs-follow_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __kvs-follow_parse_tokens -S
    set -l unparsed_tokens (__kvs-follow_tokens -pc)
    switch $unparsed_tokens[1]
    case 'kvs-follow'
        __kvs-follow_parse_subcommand 0 'endpoint-url=' 'region=' 'profile=' 'access-key-id=' 'secret-access-key=' 'ca-bundle=' 'attempts=' 'stream=+' 'window=' 'timestamps=' 'start=' 'state=' 'lease=' 'idle-timeout=' 'work-dir=' 'health-file=' 'record=' 'process-id=' 'inference-config=' 'template=' 'to=+' 'presign=' 'ttl=+' 'copy-mode=' 'content-type=' 'addressing-style=' 'azure-connection-string=' 'part-size=' 'multipart-threshold=' 'part-jobs=' 'metrics-listen=' 'metrics-file=' 'v/verbose' 'q/quiet' 'log-format=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __kvs-follow_parse_subcommand -r 1 'version'
        end
    end
end

function __kvs-follow_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __kvs-follow_parse_subcommand -S -a positional_count
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

function __kvs-follow_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __kvs-follow_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__kvs-follow_tokens -p)
    if test -z "$(__kvs-follow_tokens -t)"
        set -l index (count (__kvs-follow_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'kvs-follow' -f
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" endpoint-url' -l 'endpoint-url' -d 'The service endpoint (default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL_KINESIS_VIDEO, then AWS_ENDPOINT_URL, then the profile\'s services section and endpoint_url, else AWS).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" region' -l 'region' -d 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile\'s; S3 alone falls back to us-east-1).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" profile' -l 'profile' -d 'AWS profile in ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" access-key-id' -l 'access-key-id' -d 'AWS access key id (default: the credential chain, starting with AWS_ACCESS_KEY_ID).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" secret-access-key' -l 'secret-access-key' -d 'AWS secret access key, with --access-key-id. Visible to other users in ps (a warning says so): prefer AWS_SECRET_ACCESS_KEY or a profile.' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" ca-bundle' -l 'ca-bundle' -d 'CA certificates (PEM) to verify AWS\'s TLS endpoints with (default: AWS_CA_BUNDLE, the profile\'s ca_bundle, else the system\'s).' -rF
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" attempts' -l 'attempts' -d 'Attempts per request before a throttle, network error or 5xx is final (then exit 75).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow"' -l 'stream' -d 'Follow this stream (a name or an ARN; repeatable).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" window' -l 'window' -d 'The window length (e.g. 60s; 1s to 24h).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" timestamps' -l 'timestamps' -d 'The clock windows are aligned on: server or producer.' -rfka 'server producer'
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" start' -l 'start' -d 'Where a stream with no saved position starts: now, earliest, or an RFC 3339 time.' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" state' -l 'state' -d 'Where positions are kept: file://DIR or redis://HOST[:PORT][/DB] (REDIS_PASSWORD is the password of a URL without one).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" lease' -l 'lease' -d 'With --state redis://: how long a stream\'s lease lasts without renewal (2s to 5m).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" idle-timeout' -l 'idle-timeout' -d 'No byte for this long: reconnect with backoff (1s to 5m).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" work-dir' -l 'work-dir' -d 'Where windows go without --to (else CLIPLINE_WORK_DIR, else a new temporary directory).' -rfa '(__kvs-follow_complete_directories)'
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" health-file' -l 'health-file' -d 'Write each stream\'s state here every second.' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" record' -l 'record' -d 'Each window\'s record: clip (kvs-clip\'s) or chunk (M0\'s chunk record, the fast path).' -rfka 'clip chunk'
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" process-id' -l 'process-id' -d 'Each window task\'s process_id (a number stays a number); else one minted from camera and window.' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" inference-config' -l 'inference-config' -d 'Each window task\'s inference_config, JSON or @file.' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" template' -l 'template' -d 'A JSON object (or @file) of extra window task fields; strings may hold {camera_id}, {start_time}, {window_start} holes.' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow"' -l 'to' -d 'A destination: TEMPLATE=FIELD (repeatable; all upload in parallel).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" presign' -l 'presign' -d 'Add FIELD_presigned_url, a GET URL valid this long (at most 7d), for each destination.' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow"' -l 'ttl' -d 'Mark a destination as cache: its object expires after DURATION (tag and Expires); repeatable.' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" copy-mode' -l 'copy-mode' -d 'A second destination on the same service: auto or server (a server-side copy), or upload.' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" content-type' -l 'content-type' -d 'Content-Type of the objects (default: from the file extension).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" addressing-style' -l 'addressing-style' -d 'S3 addressing: auto (virtual-hosted on AWS, path-style elsewhere), path or virtual.' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" azure-connection-string' -l 'azure-connection-string' -d 'Azure connection string (default: AZURE_STORAGE_CONNECTION_STRING, the safer way: a key or SAS here shows in ps).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" part-size' -l 'part-size' -d 'Part (and block) size for large transfers, 5M to 5G: bytes, or with K/M/G (MiB units).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" multipart-threshold' -l 'multipart-threshold' -d 'Files at least this large (at most 5G, S3\'s largest single PUT) use multipart (S3) or block (Azure) uploads and ranged downloads.' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" part-jobs' -l 'part-jobs' -d 'Parts or ranges of one object in flight at once (1 to 64; default 8).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" metrics-listen' -l 'metrics-listen' -d 'Serve GET /metrics (Prometheus), /healthz and /readyz on this address (127.0.0.1:9464; :9464 for every interface).' -rfka ''
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" metrics-file' -l 'metrics-file' -d 'Write Prometheus metrics to this file (for node_exporter\'s textfile collector: name it *.prom; its name without .prom labels every series as textfile).' -rF
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" q quiet' -l 'quiet' -s 'q' -d 'Say only errors on stderr.'
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" version' -l 'version' -d 'Show the version.'
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_positional "kvs-follow" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'kvs-follow' -n '__kvs-follow_should_offer_completions_for_flags_or_options "kvs-follow help" version' -l 'version' -d 'Show the version.'
